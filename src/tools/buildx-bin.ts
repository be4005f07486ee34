/**
 * How to invoke buildx: `command ...prefix <subcommand>`. As a docker CLI plugin that is
 * `docker buildx …`; as a standalone or freshly installed binary, the binary itself.
 */
export interface BuildxBin {
  command: string;
  prefix: string[];
  /** Semver without the leading "v" (e.g. "0.36.1"), or "unknown" for a build with no version stamp. */
  version: string;
}
