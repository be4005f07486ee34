export const id = 608;
export const ids = [608,885];
export const modules = {

/***/ 4885:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

__webpack_require__.r(__webpack_exports__);
/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   BUILDX_RELEASES_LIST: () => (/* binding */ BUILDX_RELEASES_LIST),
/* harmony export */   DEFAULT_BUILDX_BASE: () => (/* binding */ DEFAULT_BUILDX_BASE),
/* harmony export */   hostPlatform: () => (/* binding */ hostPlatform),
/* harmony export */   installBuildx: () => (/* binding */ installBuildx),
/* harmony export */   installRelease: () => (/* binding */ installRelease),
/* harmony export */   parseChecksums: () => (/* binding */ parseChecksums),
/* harmony export */   releaseAsset: () => (/* binding */ releaseAsset)
/* harmony export */ });
/* harmony import */ var node_crypto__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(7598);
/* harmony import */ var node_crypto__WEBPACK_IMPORTED_MODULE_0___default = /*#__PURE__*/__webpack_require__.n(node_crypto__WEBPACK_IMPORTED_MODULE_0__);
/* harmony import */ var node_fs__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(3024);
/* harmony import */ var node_fs__WEBPACK_IMPORTED_MODULE_1___default = /*#__PURE__*/__webpack_require__.n(node_fs__WEBPACK_IMPORTED_MODULE_1__);
/* harmony import */ var node_fs_promises__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(1455);
/* harmony import */ var node_fs_promises__WEBPACK_IMPORTED_MODULE_2___default = /*#__PURE__*/__webpack_require__.n(node_fs_promises__WEBPACK_IMPORTED_MODULE_2__);
/* harmony import */ var node_os__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(8161);
/* harmony import */ var node_os__WEBPACK_IMPORTED_MODULE_3___default = /*#__PURE__*/__webpack_require__.n(node_os__WEBPACK_IMPORTED_MODULE_3__);
/* harmony import */ var node_path__WEBPACK_IMPORTED_MODULE_4__ = __webpack_require__(6760);
/* harmony import */ var node_path__WEBPACK_IMPORTED_MODULE_4___default = /*#__PURE__*/__webpack_require__.n(node_path__WEBPACK_IMPORTED_MODULE_4__);
/* harmony import */ var _actions_cache__WEBPACK_IMPORTED_MODULE_5__ = __webpack_require__(139);
/* harmony import */ var _actions_tool_cache__WEBPACK_IMPORTED_MODULE_6__ = __webpack_require__(9213);
/* harmony import */ var _plan_errors_js__WEBPACK_IMPORTED_MODULE_7__ = __webpack_require__(3570);
/* harmony import */ var _text_js__WEBPACK_IMPORTED_MODULE_11__ = __webpack_require__(774);
/* harmony import */ var _retry_js__WEBPACK_IMPORTED_MODULE_8__ = __webpack_require__(9943);
/* harmony import */ var _find_js__WEBPACK_IMPORTED_MODULE_9__ = __webpack_require__(7111);
/* harmony import */ var _plan_versions_js__WEBPACK_IMPORTED_MODULE_10__ = __webpack_require__(4160);












const DEFAULT_BUILDX_BASE = 'https://github.com/docker/buildx/releases/download';
/**
 * The release list docker/setup-buildx-action reads to resolve `version: latest` (name → GitHub
 * release, `latest` among the names). A mirror serves its own copy at `<buildx-mirror>/buildx-releases.json`.
 */
const BUILDX_RELEASES_LIST = 'https://raw.githubusercontent.com/docker/actions-toolkit/main/.github/buildx-releases.json';
const INPUT = 'buildx-version';
const TOOL = 'buildx';
/** The runner's OS and architecture in buildx's release naming. */
function hostPlatform(nodePlatform = process.platform, nodeArch = process.arch, armVersion = process.config.variables.arm_version) {
    const osName = nodePlatform === 'win32' ? 'windows' : nodePlatform;
    const archNames = {
        x64: 'amd64',
        arm64: 'arm64',
        riscv64: 'riscv64',
        s390x: 's390x',
        ppc64: 'ppc64le'
    };
    const arch = nodeArch === 'arm' ? `arm-v${armVersion ?? '7'}` : (archNames[nodeArch] ?? nodeArch);
    return { os: osName, arch };
}
/** The release asset for a tag and platform, e.g. `buildx-v0.36.1.linux-arm-v7`, `buildx-v0.36.1.windows-amd64.exe`. */
function releaseAsset(tag, platform) {
    return `buildx-${tag}.${platform.os}-${platform.arch}${platform.os === 'windows' ? '.exe' : ''}`;
}
/**
 * Reads a sha256sum listing (`<hex> *name` in binary mode, `<hex>  name` in text mode) into
 * file name → lower-case hex digest. Lines that are not digests are skipped.
 */
function parseChecksums(text) {
    const sums = new Map();
    for (const line of text.split(/\r?\n/)) {
        const match = /^([0-9a-fA-F]{64})\s+\*?(.+?)\s*$/.exec(line.trim());
        if (match)
            sums.set(node_path__WEBPACK_IMPORTED_MODULE_4___default().posix.basename(match[2]), match[1].toLowerCase());
    }
    return sums;
}
/**
 * Installs a buildx release and confirms it runs. Looks in the tool cache, then the Actions cache,
 * then downloads from the release host; whatever is downloaded or restored is checked against the
 * release's checksums.txt first, and an unverifiable binary is never installed.
 */
async function installBuildx(options) {
    const tag = options.version.trim() === 'latest' ? await resolveLatest(options) : (0,_plan_versions_js__WEBPACK_IMPORTED_MODULE_10__/* .releaseTag */ .a)(options.version);
    const platform = options.platform ?? hostPlatform();
    const { binary, source } = await installRelease({
        tool: TOOL,
        tag,
        input: INPUT,
        version: options.version,
        base: options.base || DEFAULT_BUILDX_BASE,
        asset: releaseAsset(tag, platform),
        binName: platform.os === 'windows' ? 'docker-buildx.exe' : 'docker-buildx',
        checksums: 'checksums.txt',
        // buildx's release pipeline leaves darwin binaries out of checksums.txt.
        unlisted: `Pick a version whose release lists ${platform.os}-${platform.arch}, or leave ${INPUT} empty and install buildx before this step.`
    }, { ...options, platform });
    return confirm(binary, tag, source, options);
}
/**
 * `latest`, as setup-buildx resolves it: the `latest` entry of the release list (the newest release).
 * The release it names is then installed like any pinned one, checksums verified.
 */
async function resolveLatest(options) {
    const base = (options.base || DEFAULT_BUILDX_BASE).replace(/\/+$/, '');
    const url = base === DEFAULT_BUILDX_BASE ? BUILDX_RELEASES_LIST : `${base}/buildx-releases.json`;
    const workDir = options.workDir ?? node_path__WEBPACK_IMPORTED_MODULE_4___default().join(process.env.RUNNER_TEMP || node_os__WEBPACK_IMPORTED_MODULE_3___default().tmpdir(), `${TOOL}-install`);
    await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_2__.mkdir)(workDir, { recursive: true });
    const file = node_path__WEBPACK_IMPORTED_MODULE_4___default().join(workDir, 'buildx-releases.json');
    await download(url, file, { tool: TOOL, input: INPUT, version: 'latest' }, { ...options, platform: hostPlatform() });
    const text = await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_2__.readFile)(file, 'utf8');
    await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_2__.rm)(file, { force: true });
    let name;
    try {
        name = JSON.parse(text).latest?.tag_name;
    }
    catch {
        name = undefined;
    }
    if (typeof name !== 'string' || !/^v\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/.test(name))
        throw new Error(`${url} names no latest buildx release (expected {"latest": {"tag_name": "v…"}})`);
    options.log.info(`buildx-version latest: ${name}, the newest release in ${url}`);
    return name;
}
/**
 * Installs a release's binary into the tool cache: found there, else restored from the Actions
 * cache, else downloaded; anything restored or downloaded must match the release's checksums
 * first. Returns the installed binary, executable, for the caller to confirm.
 */
async function installRelease(spec, options) {
    const { log, platform } = options;
    const { tool, tag, asset, binName } = spec;
    const base = spec.base.replace(/\/+$/, '');
    const actionsCache = options.cache ?? _actions_cache__WEBPACK_IMPORTED_MODULE_5__;
    const cachedDir = _actions_tool_cache__WEBPACK_IMPORTED_MODULE_6__/* .find */ .I6(tool, tag, platform.arch);
    if (cachedDir) {
        log.info(`${tool} ${tag} found in the tool cache at ${cachedDir}`);
        return { binary: node_path__WEBPACK_IMPORTED_MODULE_4___default().join(cachedDir, binName), source: 'tool-cache' };
    }
    const workDir = options.workDir ?? node_path__WEBPACK_IMPORTED_MODULE_4___default().join(process.env.RUNNER_TEMP || node_os__WEBPACK_IMPORTED_MODULE_3___default().tmpdir(), `${tool}-install`);
    const stageDir = node_path__WEBPACK_IMPORTED_MODULE_4___default().join(workDir, `${tag}-${platform.os}-${platform.arch}`);
    const staged = node_path__WEBPACK_IMPORTED_MODULE_4___default().join(stageDir, binName);
    await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_2__.mkdir)(workDir, { recursive: true });
    const sumsUrl = `${base}/${tag}/${spec.checksums}`;
    const sumsFile = node_path__WEBPACK_IMPORTED_MODULE_4___default().join(workDir, `${tag}-${spec.checksums}`);
    await download(sumsUrl, sumsFile, spec, options);
    const expected = parseChecksums(await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_2__.readFile)(sumsFile, 'utf8')).get(asset);
    await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_2__.rm)(sumsFile, { force: true });
    if (!expected) {
        throw new Error(`${sumsUrl} has no checksum for ${asset}, so it cannot be verified and is not installed. ${spec.unlisted}`);
    }
    const key = `${tool}-${tag}-${platform.os}-${platform.arch}-${expected}`;
    await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_2__.rm)(stageDir, { recursive: true, force: true });
    await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_2__.mkdir)(stageDir, { recursive: true });
    let source = 'download';
    if (await restore(tool, actionsCache, stageDir, staged, key, expected, log)) {
        source = 'actions-cache';
        log.info(`${tool} ${tag} restored from the Actions cache (key ${key})`);
    }
    else {
        const url = `${base}/${tag}/${asset}`;
        log.info(`Downloading ${tool} ${tag} from ${url}`);
        await download(url, staged, spec, options);
        const actual = await sha256File(staged);
        if (actual !== expected) {
            await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_2__.rm)(stageDir, { recursive: true, force: true });
            throw new Error(`${asset} from ${url} does not match ${sumsUrl}: expected sha256 ${expected}, got ${actual}. ` +
                'It was not installed; the download was corrupted or the release host serves a different file.');
        }
        log.info(`${asset}: sha256 ${actual} matches ${spec.checksums}`);
    }
    const toolDir = await _actions_tool_cache__WEBPACK_IMPORTED_MODULE_6__/* .cacheFile */ .NJ(staged, binName, tool, tag, platform.arch);
    const installed = node_path__WEBPACK_IMPORTED_MODULE_4___default().join(toolDir, binName);
    // Downloads arrive without the executable bit.
    await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_2__.chmod)(installed, 0o755);
    if (source === 'download' && actionsCache.isFeatureAvailable()) {
        try {
            await actionsCache.saveCache([stageDir], key);
        }
        catch (error) {
            log.warning(`Could not save ${tool} ${tag} to the Actions cache (${(0,_text_js__WEBPACK_IMPORTED_MODULE_11__/* .errorText */ .kc)(error)}); the next run downloads it again`);
        }
    }
    return { binary: installed, source };
}
async function restore(tool, actionsCache, stageDir, staged, key, expected, log) {
    if (!actionsCache.isFeatureAvailable())
        return false;
    try {
        if (!(await actionsCache.restoreCache([stageDir], key)))
            return false;
    }
    catch (error) {
        log.warning(`Could not restore ${tool} from the Actions cache (${(0,_text_js__WEBPACK_IMPORTED_MODULE_11__/* .errorText */ .kc)(error)}); downloading it instead`);
        return false;
    }
    const actual = await sha256File(staged).catch(() => 'missing');
    if (actual === expected)
        return true;
    log.warning(`${tool} restored from the Actions cache (key ${key}) has sha256 ${actual}, not ${expected}; downloading it instead`);
    await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_2__.rm)(stageDir, { recursive: true, force: true });
    await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_2__.mkdir)(stageDir, { recursive: true });
    return false;
}
class NotFoundError extends _retry_js__WEBPACK_IMPORTED_MODULE_8__/* .PermanentError */ .Dr {
    url;
    constructor(url) {
        super(`GET ${url} answered 404 Not Found`);
        this.url = url;
        this.name = 'NotFoundError';
    }
}
/** Downloads `url` to `dest`, retrying transient failures. A 404 means the release or asset does not exist. */
async function download(url, dest, spec, options) {
    try {
        await (0,_retry_js__WEBPACK_IMPORTED_MODULE_8__/* .withRetry */ .bD)(async () => {
            await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_2__.rm)(dest, { force: true });
            try {
                await _actions_tool_cache__WEBPACK_IMPORTED_MODULE_6__/* .downloadTool */ .bq(url, dest);
            }
            catch (error) {
                throw downloadError(url, error);
            }
        }, { retries: options.retries ?? 2, what: `Downloading ${url}`, log: options.log, sleep: options.sleep });
    }
    catch (error) {
        if (error instanceof NotFoundError) {
            throw new _plan_errors_js__WEBPACK_IMPORTED_MODULE_7__/* .InputError */ .d(spec.input, spec.version, `an existing ${spec.tool} release (${url} answered 404 Not Found)`);
        }
        throw new Error(`Could not download ${url}: ${(0,_text_js__WEBPACK_IMPORTED_MODULE_11__/* .errorText */ .kc)(error)}`, { cause: error });
    }
}
/** tool-cache's error as retry reads it: a 5xx, 429 or 408, or a dropped connection, is worth another try. */
function downloadError(url, error) {
    if (error instanceof _actions_tool_cache__WEBPACK_IMPORTED_MODULE_6__/* .HTTPError */ .Hl) {
        const status = error.httpStatusCode ?? 0;
        if (status === 404)
            return new NotFoundError(url);
        const message = `GET ${url} answered HTTP ${status}`;
        return status >= 500 || status === 429 || status === 408
            ? new _retry_js__WEBPACK_IMPORTED_MODULE_8__/* .TransientError */ .N_(message, undefined, { cause: error })
            : new _retry_js__WEBPACK_IMPORTED_MODULE_8__/* .PermanentError */ .Dr(message, { cause: error });
    }
    const code = error.code ?? '';
    if (/^(ECONNRESET|ECONNREFUSED|ETIMEDOUT|EPIPE|EAI_AGAIN|ENOTFOUND|ECONNABORTED|UND_ERR_\w+)$/.test(code))
        return new _retry_js__WEBPACK_IMPORTED_MODULE_8__/* .TransientError */ .N_(`GET ${url}: ${code}`, undefined, { cause: error });
    return error instanceof Error ? error : new Error(String(error));
}
async function confirm(binary, tag, source, options) {
    let stdout;
    try {
        ({ stdout } = await options.run(binary, ['version']));
    }
    catch (error) {
        throw new Error(`buildx ${tag} at ${binary} does not run: ${(0,_text_js__WEBPACK_IMPORTED_MODULE_11__/* .errorText */ .kc)(error)}`, { cause: error });
    }
    const version = (0,_find_js__WEBPACK_IMPORTED_MODULE_9__/* .parseBuildxVersion */ .O)(stdout);
    if (version !== 'unknown' && `v${version}` !== tag) {
        options.log.warning(`${binary} reports buildx ${version}, not the requested ${tag}; the release host may serve another version under that name`);
    }
    return { command: binary, prefix: [], version, source };
}
function sha256File(file) {
    return new Promise((resolve, reject) => {
        const hash = (0,node_crypto__WEBPACK_IMPORTED_MODULE_0__.createHash)('sha256');
        (0,node_fs__WEBPACK_IMPORTED_MODULE_1__.createReadStream)(file)
            .on('error', reject)
            .on('data', (chunk) => hash.update(chunk))
            .on('end', () => resolve(hash.digest('hex')));
    });
}


/***/ }),

/***/ 1608:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   installCosign: () => (/* binding */ installCosign)
/* harmony export */ });
/* harmony import */ var _plan_errors_js__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(3570);
/* harmony import */ var _text_js__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(774);
/* harmony import */ var _buildx_install_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(4885);
/* harmony import */ var _cosign_release_js__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(5018);




const TOOL = 'cosign';
const CHECKSUMS = 'cosign_checksums.txt';
/**
 * Installs a cosign release the way buildx is installed (tools/buildx/install.ts): the tool
 * cache, then the Actions cache, then the release host; anything downloaded or restored must match
 * the release's cosign_checksums.txt first, and a binary that cannot be verified is never installed.
 */
async function installCosign(options) {
    const input = options.input ?? 'cosign-version';
    const match = /^v?(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?)$/.exec(options.version.trim());
    if (!match)
        throw new _plan_errors_js__WEBPACK_IMPORTED_MODULE_0__/* .InputError */ .d(input, options.version, 'a cosign release version like v2.6.1');
    const tag = `v${match[1]}`;
    const platform = options.platform ?? (0,_buildx_install_js__WEBPACK_IMPORTED_MODULE_1__.hostPlatform)();
    const asset = (0,_cosign_release_js__WEBPACK_IMPORTED_MODULE_2__/* .cosignAsset */ .WR)(platform);
    const { binary, source } = await (0,_buildx_install_js__WEBPACK_IMPORTED_MODULE_1__.installRelease)({
        tool: TOOL,
        tag,
        input,
        version: options.version,
        base: options.base || _cosign_release_js__WEBPACK_IMPORTED_MODULE_2__/* .DEFAULT_COSIGN_BASE */ .yo,
        asset,
        binName: platform.os === 'windows' ? 'cosign.exe' : 'cosign',
        checksums: CHECKSUMS,
        unlisted: `Install cosign on the PATH before this step, or pick a version whose release has ${asset}.`
    }, { ...options, platform });
    return confirm(binary, tag, source, options);
}
async function confirm(binary, tag, source, options) {
    let result;
    try {
        result = await options.run(binary, ['version'], { quiet: true });
    }
    catch (error) {
        throw new Error(`cosign ${tag} at ${binary} does not run: ${(0,_text_js__WEBPACK_IMPORTED_MODULE_3__/* .errorText */ .kc)(error)}`, { cause: error });
    }
    const version = (0,_cosign_release_js__WEBPACK_IMPORTED_MODULE_2__/* .parseCosignVersion */ .B6)(`${result.stdout}\n${result.stderr}`);
    if (version !== 'unknown' && `v${version}` !== tag)
        options.log.warning(`${binary} reports cosign ${version}, not the requested ${tag}`);
    return { command: binary, version, source };
}


/***/ })

};
