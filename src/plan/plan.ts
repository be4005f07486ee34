import type { Inputs, Mode } from './inputs.js';
import type { Context } from './context.js';
import { runsNatively, type Platform } from './platforms.js';
import { computeTags, type TagResult } from './tags/compute.js';
import { computeLabels, computeAnnotations } from './labels.js';
import { cacheUse, planCache, planGhaCache, type CachePlan } from './cache.js';
import { buildArgv, createBuilderArgv, type BuildOutput, type BuildSpec } from './build.js';
import { assignPlatforms, buildxNodeName, createNodesArgv, type NodeSpec } from './nodes.js';
import { hasPerPlatform } from './per-platform.js';
import { InputError } from './errors.js';
import { INDEX_DIGEST, KMS_URI, signingSteps, verifyCommand, type KeylessIdentity } from './sign.js';
import { cacheScope, ghaScope, legTag, parseDigestRefs, platformSlug } from './matrix.js';
import { validateTag } from './image.js';
import {
  bootstrapArgv,
  platformTagName,
  removeBuilderArgv,
  type BuilderStep,
  type BuildsStep,
  type BuildxStep,
  type NodeFallbackPlan,
  type PlatformBuild,
  type CheckDigestsStep,
  type CommitStep,
  type FindLegsStep,
  type PreflightStep,
  type ProveStep,
  type RemoveLegsStep,
  type SignStep,
  type StageStep,
  type Step
} from './steps.js';
import { repositoryOf, tagOf, withTag } from './reference.js';
import { heldByPlan, type HeldTag } from './tags/hold-back.js';
import { withTemplates } from './templates.js';
import { metadataPlan } from './metadata.js';

/**
 * Everything the action will do, decided before it does any of it: the values it computed (tags,
 * labels, cache refs) and the steps, in order, each with its exact command or request. The
 * pipeline runs the steps; the dry run prints them.
 */
export interface Plan {
  mode: Mode;
  platforms: Platform[];
  /** Platforms that need an emulator on this runner. */
  emulated: Platform[];
  tags: TagResult;
  labels: Record<string, string>;
  annotations: string[];
  cache: CachePlan;
  /** The builder the steps name ('' for a merge given none: imagetools needs no builder). */
  builder: string;
  steps: Step[];
  /** What the user should know about the plan itself (an input that has no effect here). */
  warnings: string[];
  /** Why nothing is pushed when push was left to its default (a pull request, load): the summary says it. */
  pushNote?: string;
}

export interface PlanIds {
  builderName: string;
  metadataFile: string;
  /** Where each `secrets` value was written (id → private file): values never enter the plan. */
  secretPaths: Record<string, string>;
  /** Groups one run's matrix legs and its merge. */
  runId: string;
  /** Where buildkitd-config-inline was written, when given (it wins over buildkitd-config). */
  inlineBuildkitdConfig?: string;
  /** A private directory (under the run's temp dir) where a PEM sign-key is written while cosign runs. */
  cosignDir?: string;
  /** sign: keyless: who signs (this workflow), for the verification of the signature. */
  signer?: KeylessIdentity;
}

export function makePlan(inputs: Inputs, context: Context, native: Platform, now: Date, ids: PlanIds): Plan {
  const tags = computeTags({ images: inputs.images, rules: inputs.tagRules, flavor: inputs.flavor, context, now });
  // {{version}}, {{sha}}, … in build-args and annotations, from the tags just computed.
  const templated = withTemplates(inputs, context, tags.version, now);
  inputs = templated.inputs;
  if (inputs.mode === 'metadata') return metadataPlan(inputs, context, tags, now, templated.warnings);
  if (inputs.push && inputs.mode !== 'platform' && tags.tags.length === 0) {
    throw new InputError(
      'tags',
      inputs.tagRules.map((r) => r.raw).join('\n') || '(defaults)',
      `rules that give at least one tag for a ${context.eventName} event on ${context.ref}`
    );
  }
  const labels = computeLabels(context, tags.version, inputs.labels, now);
  const annotations = computeAnnotations(
    labels,
    inputs.annotations,
    inputs.platforms.length > 1 ? ['index', 'manifest'] : ['manifest']
  );
  const builder =
    inputs.builder || (inputs.mode === 'merge' ? '' : inputs.driver === 'docker' ? 'default' : ids.builderName);
  const common = {
    mode: inputs.mode,
    platforms: inputs.platforms,
    tags,
    labels,
    annotations,
    builder,
    ...(inputs.pushNote ? { pushNote: inputs.pushNote } : {}),
    warnings: [
      ...templated.warnings,
      ...(inputs.mode === 'platform' && inputs.signing.mode !== 'false'
        ? [
            `sign: ${inputs.signing.mode} has no effect on a mode: platform leg: the merge signs the index and every platform manifest in it (set sign on the merge step)`
          ]
        : [])
    ]
  };
  const buildxStep: BuildxStep = { kind: 'buildx', version: inputs.buildxVersion, mirror: inputs.buildxMirror };
  if (inputs.mode === 'merge') {
    const sources = mergeSources(inputs, context, ids, builder);
    const release = releaseSteps(inputs, ids, tags, builder, {
      source: inputs.digests.length > 0 ? 'digests' : 'legs',
      annotations: annotations.filter((a) => a.startsWith('index:'))
    });
    return {
      ...common,
      emulated: [],
      cache: { from: [], to: [], refs: [] },
      steps: [
        ...release.preflight,
        buildxStep,
        sources,
        ...release.steps,
        // The legs' own indexes go last, once the published index is committed.
        sources.kind === 'find-legs' ? removeLegs(sources) : handOffsOf(inputs, context, ids)
      ]
    };
  }

  if (inputs.mode === 'build' && (inputs.nodes.length > 0 || hasPerPlatform(inputs.perPlatform))) {
    const planned = perPlatformPlan(inputs, context, native, ids, tags, labels, annotations, builder, buildxStep);
    return { ...common, ...planned };
  }
  const leg = inputs.mode === 'platform' ? inputs.platforms : undefined;
  // A matrix leg builds one platform: its own file, target and build-args apply.
  const own = leg ? inputs.perPlatform[leg[0].id] : undefined;
  const cache = registryCache(inputs, context, leg);
  const emulated = inputs.platforms.filter((p) => !runsNatively(p, native));
  const output: BuildOutput = inputs.push
    ? {
        kind: 'push-by-digest',
        image: inputs.images[0],
        ...(inputs.load ? { load: tags.refs } : {}),
        ...(inputs.attestationFormat === 'reference' ? { attestationFormat: 'reference' as const } : {})
      }
    : inputs.load
      ? { kind: 'load', tags: tags.refs }
      : { kind: 'none' };
  const steps: Step[] = [];
  // A remote BuildKit runs its builds on its own kernel: the host's handlers are not its concern
  // unless `qemu` names a method explicitly.
  const remote = !inputs.builder && inputs.driver === 'remote';
  if (emulated.length > 0 && inputs.qemu !== 'false' && !(remote && inputs.qemu === 'auto')) {
    steps.push({ kind: 'qemu', mode: inputs.qemu, image: inputs.qemuImage, platforms: emulated });
  }
  steps.push(buildxStep, builderStep(inputs, ids, builder));
  steps.push({
    kind: 'build',
    argv: buildArgv({
      builder,
      platforms: inputs.platforms.map((p) => p.id),
      context: inputs.context,
      file: own?.file ?? inputs.file,
      target: own?.target ?? inputs.target,
      buildArgs: [...inputs.buildArgs, ...(own?.buildArgs ?? [])],
      buildContexts: inputs.buildContexts,
      labels,
      // A leg's index is a hand-off, not the release: the merge's index alone carries the index
      // annotations, so it differs from the leg's and the leg's can go with its hand-off tag.
      annotations: inputs.push ? annotations.filter((a) => !(leg && /^index(-descriptor)?:/.test(a))) : [],
      secrets: secretSpecs(inputs, ids.secretPaths),
      ssh: inputs.ssh,
      network: inputs.network,
      addHosts: inputs.addHosts,
      shmSize: inputs.shmSize,
      ulimit: inputs.ulimit,
      provenance: inputs.provenance,
      sbom: inputs.sbom,
      noCache: inputs.noCache,
      noCacheFilters: inputs.noCacheFilters,
      pull: inputs.pull,
      cacheFrom: cache.from,
      cacheTo: cache.to,
      output,
      metadataFile: ids.metadataFile
    }),
    metadataFile: ids.metadataFile,
    platforms: inputs.platforms,
    pushTo: output.kind === 'push-by-digest' ? output.image : undefined
  });
  if (!inputs.push) return { ...common, emulated, cache, steps };
  const release = releaseSteps(
    inputs,
    ids,
    tags,
    builder,
    { source: 'build', annotations: [] },
    inputs.mode === 'platform' ? withTag(inputs.images[0], legTag(context, ids.runId, inputs.platforms)) : undefined
  );
  return { ...common, emulated, cache, steps: [...release.preflight, ...steps, ...release.steps] };
}

/**
 * A release, all or nothing: the preflight before any build, then after it stage (content by
 * digest in every repository), prove (verified there, floating tags decided), sign (by digest,
 * when `sign` asks) and commit (tags last). A matrix leg stages, proves and commits its hand-off
 * tag only, and does not sign: the merge signs the index and, recursively, the same manifests.
 */
function releaseSteps(
  inputs: Inputs,
  ids: PlanIds,
  tags: TagResult,
  builder: string,
  source: Pick<StageStep, 'source' | 'annotations'>,
  handOffRef?: string
): { preflight: Step[]; steps: Step[] } {
  const image = inputs.images[0];
  const handOff = handOffRef !== undefined;
  const refs = handOff ? [handOffRef] : tags.refs;
  const mirrors = [...new Set(refs.map(repositoryOf))].filter((repo) => repo !== image);
  const repositories = [image, ...mirrors];
  const held = handOff ? [] : heldByPlan(tags);
  const stage: StageStep = { kind: 'stage', builder, image, mirrors, ...source, handOff };
  const prove: ProveStep = {
    kind: 'prove',
    builder,
    repositories,
    platforms: inputs.platforms.map((p) => p.id),
    attestations: attestationsOf(inputs),
    floating: handOff ? [] : floatingRefs(tags, refs, held),
    handOff
  };
  const commit: CommitStep = {
    kind: 'commit',
    builder,
    refs,
    platformTags: handOff ? [] : platformTags(inputs, refs),
    held,
    handOff
  };
  const sign = handOff || inputs.signing.mode === 'false' ? undefined : signStep(inputs, ids, image, mirrors);
  const checkKey = sign?.commands.find((c) => c.what === 'check-key');
  const preflight: PreflightStep = {
    kind: 'preflight',
    repositories,
    ...(sign && checkKey
      ? {
          key: {
            command: checkKey,
            cosignVersion: sign.cosignVersion,
            ...(sign.keyFile ? { keyFile: sign.keyFile } : {}),
            workDir: sign.workDir
          }
        }
      : {})
  };
  return { preflight: [preflight], steps: [stage, prove, ...(sign ? [sign] : []), commit] };
}

/** Each floating tag the registry decides (not one the plan already holds), read by its first ref. */
function floatingRefs(tags: TagResult, refs: string[], held: HeldTag[]): ProveStep['floating'] {
  return tags.floating
    .filter((tag) => !held.some((h) => h.tag === tag))
    .flatMap((tag) => {
      const ref = refs.find((r) => tagOf(r) === tag);
      return ref ? [{ tag, ref }] : [];
    });
}

function attestationsOf(inputs: Inputs): { provenance: boolean; sbom: boolean } {
  return { provenance: attestationOn(inputs.provenance), sbom: attestationOn(inputs.sbom) };
}

/**
 * provenance and sbom as buildx reads them: anything but a Go false (false, 0, f) or
 * `disabled=true` (or nothing) asks for an attestation.
 */
function attestationOn(value: string): boolean {
  if (value === '' || ['0', 'f', 'F', 'false', 'FALSE', 'False'].includes(value)) return false;
  return !value.split(',').some((field) => /^\s*disabled\s*=\s*(1|t|true)\s*$/i.test(field));
}

/** The cosign commands that sign the index by digest and verify the signature, as the run will start them. */
function signStep(inputs: Inputs, ids: PlanIds, image: string, mirrors: string[]): SignStep {
  const { signing } = inputs;
  const mode = signing.mode === 'keyless' ? 'keyless' : 'key';
  // Beside the metadata file, in the run's private temp dir, unless the workspace names one.
  const workDir = ids.cosignDir ?? `${ids.metadataFile.slice(0, ids.metadataFile.lastIndexOf('/'))}/cosign`;
  const keyFile = signing.keyPem ? `${workDir}/cosign.key` : undefined;
  const target = { image, digest: INDEX_DIGEST, tlog: signing.tlog };
  if (mode === 'keyless' && !ids.signer)
    throw new Error('sign: keyless needs the signing workflow (GITHUB_WORKFLOW_REF)');
  // Every repository holds its own signatures (a policy on either registry finds them); the key is checked once.
  const commands = [image, ...mirrors].flatMap((repo, i) =>
    signingSteps({
      ...target,
      image: repo,
      mode,
      keyFile: keyFile ?? signing.keyRef,
      publicKeyFile: mode === 'key' ? `${workDir}/cosign.pub` : undefined,
      identity: ids.signer
    }).filter((c) => i === 0 || c.what !== 'check-key')
  );
  return {
    kind: 'sign',
    mode,
    image,
    mirrors,
    cosignVersion: signing.cosignVersion,
    commands,
    ...(keyFile ? { keyFile } : {}),
    workDir,
    verifyCommand: verifyCommand({
      ...target,
      mode,
      identity: ids.signer,
      // Users verify with the public key they keep beside the private one.
      publicKey:
        mode === 'key' ? (signing.keyRef && KMS_URI.test(signing.keyRef) ? signing.keyRef : 'cosign.pub') : undefined
    })
  };
}

/** The registry cache of a build: one ref for all platforms, or a platform's own (a leg's, a node's). */
function registryCache(inputs: Inputs, context: Context, platforms: Platform[] | undefined): CachePlan {
  // cache-from / cache-to given by hand stay as they are, whatever `cache` says.
  if (inputs.cache === 'gha' && inputs.cacheFrom.length === 0 && inputs.cacheTo.length === 0)
    return planGhaCache(context.actionsCache, ghaScope(inputs.cacheTag, platforms));
  const scope = cacheScope(context, inputs.cacheTag, platforms);
  return planCache({
    ...cacheUse(inputs.cache, {
      image: inputs.images.length > 0,
      push: inputs.push,
      forkPullRequest: context.pr?.fork === true
    }),
    image: inputs.images[0],
    tag: scope.write,
    readOnlyTags: scope.readOnly,
    cacheFrom: inputs.cacheFrom,
    cacheTo: inputs.cacheTo
  });
}

/** The builder this run creates (unless one is given or the docker driver's own is used), then bootstraps. */
function builderStep(inputs: Inputs, ids: PlanIds, name: string): BuilderStep {
  if (inputs.builder || inputs.driver === 'docker') return { kind: 'builder', name, bootstrap: bootstrapArgv(name) };
  if (inputs.nodes.length > 0) return nodesBuilderStep(inputs.nodes, name, inputs.buildkitImage);
  const create = createBuilderArgv({
    name,
    driver: inputs.driver,
    endpoint: inputs.endpoint,
    buildkitImage: inputs.buildkitImage,
    driverOpts: inputs.driverOpts,
    buildkitdConfig: ids.inlineBuildkitdConfig ?? inputs.buildkitdConfig,
    buildkitdFlags: inputs.buildkitdFlags
  });
  return { kind: 'builder', name, create, bootstrap: bootstrapArgv(name), remove: removeBuilderArgv(name) };
}

/** merge: the legs this run's matrix left (one hand-off tag per platform), or the explicit digests. */
function mergeSources(
  inputs: Inputs,
  context: Context,
  ids: PlanIds,
  builder: string
): FindLegsStep | CheckDigestsStep {
  const image = inputs.images[0];
  if (inputs.digests.length > 0) {
    const refs = parseDigestRefs(inputs.digests, image);
    return { kind: 'check-digests', builder, platforms: inputs.platforms, refs, attestations: attestationsOf(inputs) };
  }
  return {
    kind: 'find-legs',
    builder,
    legs: inputs.platforms.map((platform) => ({ platform, ref: `${image}:${legTag(context, ids.runId, [platform])}` })),
    attestations: attestationsOf(inputs)
  };
}

/** The hand-off tags this merge consumed. */
function removeLegs(found: FindLegsStep): RemoveLegsStep {
  return { kind: 'remove-legs', legs: found.legs.map((leg) => leg.ref) };
}

/**
 * Explicit `digests` from this run's legs (build, test, then publish) each left a hand-off tag:
 * one leg of every platform (`leg-…-linux-amd64_linux-arm64`), or one leg a platform (a matrix).
 * Those naming a given digest go once the index is published; other digests are left alone.
 */
function handOffsOf(inputs: Inputs, context: Context, ids: PlanIds): RemoveLegsStep {
  const image = inputs.images[0];
  const sets = [inputs.platforms, ...(inputs.platforms.length > 1 ? inputs.platforms.map((p) => [p]) : [])];
  return {
    kind: 'remove-legs',
    legs: sets.map((set) => `${image}:${legTag(context, ids.runId, set)}`),
    ofDigests: true
  };
}

/** `platform-tags`: for every tag, one per platform (`1.2.3-arm64`), each a valid tag or an error naming the input. */
function platformTags(inputs: Inputs, refs: string[]): CommitStep['platformTags'] {
  if (!inputs.platformTags) return [];
  return refs.flatMap((of) =>
    inputs.platforms.map((p) => {
      const tag = tagOf(of) + inputs.platformTags.replace('{{platform}}', platformTagName(p.id));
      return { platform: p.id, ref: withTag(of, validateTag(tag, 'platform-tags')), of };
    })
  );
}

/** buildx `--secret` specs: `secrets` by the private file each value was written to, the others as given. */
function secretSpecs(inputs: Inputs, paths: Record<string, string>): string[] {
  return [
    ...inputs.secrets.map(({ id }) => `id=${id},src=${paths[id]}`),
    ...inputs.secretEnvs.map(({ id, env }) => `id=${id},env=${env}`),
    ...inputs.secretFiles.map(({ id, path }) => `id=${id},src=${path}`)
  ];
}

/* ---- One build per platform: nodes, or per-platform file/target/build-args ---- */

/** Every node in one builder: create the first, append the others, bootstrap once (buildx starts them in parallel). */
function nodesBuilderStep(nodes: NodeSpec[], name: string, buildkitImage: string): BuilderStep {
  const [create, ...append] = createNodesArgv(name, nodes, { buildkitImage });
  return {
    kind: 'builder',
    name,
    create,
    append,
    bootstrap: bootstrapArgv(name),
    remove: removeBuilderArgv(name),
    nodes: nodes.map((node) => ({
      name: buildxNodeName(name, node),
      endpoint: node.endpoint,
      platforms: node.platforms.map((p) => p.id)
    }))
  };
}

/**
 * One build per platform, concurrently, each with the per-platform cache ref a matrix leg of that
 * platform uses (so the two warm each other's cache), each pushed by digest; then one merge of
 * their digests into the index, as the merge job does. With nodes, each platform goes to the node
 * that declares it; one no node declares, to the first node under QEMU.
 */
function perPlatformPlan(
  inputs: Inputs,
  context: Context,
  native: Platform,
  ids: PlanIds,
  tags: TagResult,
  labels: Record<string, string>,
  annotations: string[],
  builder: string,
  buildxStep: BuildxStep
): Pick<Plan, 'emulated' | 'cache' | 'steps'> {
  const nodes = inputs.nodes;
  const assignments =
    nodes.length > 0
      ? assignPlatforms(inputs.platforms, nodes, { emulate: inputs.emulate })
      : inputs.platforms.map((platform) => ({ platform, node: undefined, emulated: !runsNatively(platform, native) }));
  if (nodes.length > 0 && inputs.nodeFallback === 'emulate' && nodes.length < 2)
    throw new InputError('node-fallback', 'emulate', 'fail when there is one node (a fallback needs another node)');
  const emulated = assignments.filter((a) => a.emulated).map((a) => a.platform);
  const output: BuildOutput = inputs.push
    ? { kind: 'push-by-digest', image: inputs.images[0], ...(inputs.load ? { load: tags.refs } : {}) }
    : inputs.load
      ? { kind: 'load', tags: tags.refs }
      : { kind: 'none' };
  // The index annotations go on the merged index; each build carries its manifest's.
  const buildAnnotations = inputs.push ? annotations.filter((a) => !/^index(-descriptor)?:/.test(a)) : [];
  const all: CachePlan = { from: [], to: [], refs: [] };
  const builds = assignments.map(({ platform, node, emulated: underQemu }): PlatformBuild => {
    const cache = registryCache(inputs, context, [platform]);
    for (const key of ['from', 'to', 'refs'] as const)
      all[key].push(...cache[key].filter((r) => !all[key].includes(r)));
    const metadataFile = perPlatformFile(ids.metadataFile, platform);
    const spec = platformSpec(inputs, ids, platform, {
      builder,
      labels,
      annotations: buildAnnotations,
      cacheFrom: cache.from,
      cacheTo: cache.to,
      output,
      metadataFile
    });
    const other = node && inputs.nodeFallback === 'emulate' ? nodes.find((n) => n !== node) : undefined;
    return {
      platform,
      node: node ? buildxNodeName(builder, node) : '',
      endpoint: node?.endpoint ?? '',
      emulated: underQemu,
      argv: buildArgv(spec),
      metadataFile,
      pushTo: output.kind === 'push-by-digest' ? output.image : undefined,
      cacheRefs: cache.refs,
      ...(other ? { fallback: fallbackPlan(builder, other, platform, spec) } : {})
    };
  });
  const steps: Step[] = [];
  const qemuNamed = inputs.qemu === 'binfmt-image' || inputs.qemu === 'host';
  // Nodes run their builds on their own kernels: the runner's handlers are no concern of theirs
  // unless qemu names a method. Without nodes, the local builder emulates as a one-step build does.
  const wantQemu =
    nodes.length > 0 ? qemuNamed : inputs.qemu !== 'false' && !(inputs.driver === 'remote' && inputs.qemu === 'auto');
  // The runner registers handlers only for what it cannot run itself: a platform a node emulates may be native here.
  const foreign = emulated.filter((p) => !runsNatively(p, native));
  if (foreign.length > 0 && wantQemu)
    steps.push({ kind: 'qemu', mode: inputs.qemu, image: inputs.qemuImage, platforms: foreign });
  steps.push(buildxStep, builderStep(inputs, ids, builder));
  const buildsStep: BuildsStep = { kind: 'builds', builder, builds };
  steps.push(buildsStep);
  if (!inputs.push) return { emulated, cache: all, steps };
  const release = releaseSteps(inputs, ids, tags, builder, {
    source: 'builds',
    annotations: annotations.filter((a) => a.startsWith('index:'))
  });
  return { emulated, cache: all, steps: [...release.preflight, ...steps, ...release.steps] };
}

/** The build of one platform, with its own file, target and build-args where it has them. */
function platformSpec(
  inputs: Inputs,
  ids: PlanIds,
  platform: Platform,
  rest: Pick<BuildSpec, 'builder' | 'labels' | 'annotations' | 'cacheFrom' | 'cacheTo' | 'output' | 'metadataFile'>
): BuildSpec {
  const own = inputs.perPlatform[platform.id];
  return {
    ...rest,
    platforms: [platform.id],
    context: inputs.context,
    file: own?.file ?? inputs.file,
    target: own?.target ?? inputs.target,
    buildArgs: [...inputs.buildArgs, ...(own?.buildArgs ?? [])],
    buildContexts: inputs.buildContexts,
    secrets: secretSpecs(inputs, ids.secretPaths),
    ssh: inputs.ssh,
    network: inputs.network,
    addHosts: inputs.addHosts,
    shmSize: inputs.shmSize,
    ulimit: inputs.ulimit,
    provenance: inputs.provenance,
    sbom: inputs.sbom,
    noCache: inputs.noCache,
    noCacheFilters: inputs.noCacheFilters,
    pull: inputs.pull
  };
}

/**
 * node-fallback: emulate. A builder of one node can only send a build to that node, so the
 * platform of a failed node is built on `other` through a builder of `other` alone, declared for
 * the platform too; it is created for this, and removed after.
 */
function fallbackPlan(builder: string, other: NodeSpec, platform: Platform, spec: BuildSpec): NodeFallbackPlan {
  const name = `${builder}-fallback-${platformSlug([platform])}`;
  const declared = { ...other, platforms: [...other.platforms, platform] };
  const [create] = createNodesArgv(name, [declared]);
  const metadataFile = spec.metadataFile.replace(/\.json$/, '-fallback.json');
  return {
    node: buildxNodeName(builder, other),
    endpoint: other.endpoint,
    builder: name,
    create,
    argv: buildArgv({ ...spec, builder: name, metadataFile }),
    metadataFile,
    remove: removeBuilderArgv(name)
  };
}

/** Each concurrent build writes its own metadata file. */
function perPlatformFile(file: string, platform: Platform): string {
  const slug = platformSlug([platform]);
  return /\.json$/.test(file) ? file.replace(/\.json$/, `-${slug}.json`) : `${file}-${slug}`;
}
