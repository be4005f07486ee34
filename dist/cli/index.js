#!/usr/bin/env node
import { createRequire as __WEBPACK_EXTERNAL_createRequire } from "module";
/******/ var __webpack_modules__ = ({

/***/ 9379:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



const ANY = Symbol('SemVer ANY')
// hoisted class for cyclic dependency
class Comparator {
  static get ANY () {
    return ANY
  }

  constructor (comp, options) {
    options = parseOptions(options)

    if (comp instanceof Comparator) {
      if (comp.loose === !!options.loose) {
        return comp
      } else {
        comp = comp.value
      }
    }

    comp = comp.trim().split(/\s+/).join(' ')
    debug('comparator', comp, options)
    this.options = options
    this.loose = !!options.loose
    this.parse(comp)

    if (this.semver === ANY) {
      this.value = ''
    } else {
      this.value = this.operator + this.semver.version
    }

    debug('comp', this)
  }

  parse (comp) {
    const r = this.options.loose ? re[t.COMPARATORLOOSE] : re[t.COMPARATOR]
    const m = comp.match(r)

    if (!m) {
      throw new TypeError(`Invalid comparator: ${comp}`)
    }

    this.operator = m[1] !== undefined ? m[1] : ''
    if (this.operator === '=') {
      this.operator = ''
    }

    // if it literally is just '>' or '' then allow anything.
    if (!m[2]) {
      this.semver = ANY
    } else {
      this.semver = new SemVer(m[2], this.options.loose)
    }
  }

  toString () {
    return this.value
  }

  test (version) {
    debug('Comparator.test', version, this.options.loose)

    if (this.semver === ANY || version === ANY) {
      return true
    }

    if (typeof version === 'string') {
      try {
        version = new SemVer(version, this.options)
      } catch (er) {
        return false
      }
    }

    return cmp(version, this.operator, this.semver, this.options)
  }

  intersects (comp, options) {
    if (!(comp instanceof Comparator)) {
      throw new TypeError('a Comparator is required')
    }

    if (this.operator === '') {
      if (this.value === '') {
        return true
      }
      return new Range(comp.value, options).test(this.value)
    } else if (comp.operator === '') {
      if (comp.value === '') {
        return true
      }
      return new Range(this.value, options).test(comp.semver)
    }

    options = parseOptions(options)

    // Special cases where nothing can possibly be lower
    if (options.includePrerelease &&
      (this.value === '<0.0.0-0' || comp.value === '<0.0.0-0')) {
      return false
    }
    if (!options.includePrerelease &&
      (this.value.startsWith('<0.0.0') || comp.value.startsWith('<0.0.0'))) {
      return false
    }

    // Same direction increasing (> or >=)
    if (this.operator.startsWith('>') && comp.operator.startsWith('>')) {
      return true
    }
    // Same direction decreasing (< or <=)
    if (this.operator.startsWith('<') && comp.operator.startsWith('<')) {
      return true
    }
    // same SemVer and both sides are inclusive (<= or >=)
    if (
      (this.semver.version === comp.semver.version) &&
      this.operator.includes('=') && comp.operator.includes('=')) {
      return true
    }
    // opposite directions less than
    if (cmp(this.semver, '<', comp.semver, options) &&
      this.operator.startsWith('>') && comp.operator.startsWith('<')) {
      return true
    }
    // opposite directions greater than
    if (cmp(this.semver, '>', comp.semver, options) &&
      this.operator.startsWith('<') && comp.operator.startsWith('>')) {
      return true
    }
    return false
  }
}

module.exports = Comparator

const parseOptions = __nccwpck_require__(356)
const { safeRe: re, t } = __nccwpck_require__(5471)
const cmp = __nccwpck_require__(8646)
const debug = __nccwpck_require__(1159)
const SemVer = __nccwpck_require__(7163)
const Range = __nccwpck_require__(6782)


/***/ }),

/***/ 6782:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



const SPACE_CHARACTERS = /\s+/g

// hoisted class for cyclic dependency
class Range {
  constructor (range, options) {
    options = parseOptions(options)

    if (range instanceof Range) {
      if (
        range.loose === !!options.loose &&
        range.includePrerelease === !!options.includePrerelease
      ) {
        return range
      } else {
        return new Range(range.raw, options)
      }
    }

    if (range instanceof Comparator) {
      // just put it in the set and return
      this.raw = range.value
      this.set = [[range]]
      this.formatted = undefined
      return this
    }

    this.options = options
    this.loose = !!options.loose
    this.includePrerelease = !!options.includePrerelease

    // First reduce all whitespace as much as possible so we do not have to rely
    // on potentially slow regexes like \s*. This is then stored and used for
    // future error messages as well.
    this.raw = range.trim().replace(SPACE_CHARACTERS, ' ')

    // First, split on ||
    this.set = this.raw
      .split('||')
      // map the range to a 2d array of comparators
      .map(r => this.parseRange(r.trim()))
      // throw out any comparator lists that are empty
      // this generally means that it was not a valid range, which is allowed
      // in loose mode, but will still throw if the WHOLE range is invalid.
      .filter(c => c.length)

    if (!this.set.length) {
      throw new TypeError(`Invalid SemVer Range: ${this.raw}`)
    }

    // if we have any that are not the null set, throw out null sets.
    if (this.set.length > 1) {
      // keep the first one, in case they're all null sets
      const first = this.set[0]
      this.set = this.set.filter(c => !isNullSet(c[0]))
      if (this.set.length === 0) {
        this.set = [first]
      } else if (this.set.length > 1) {
        // if we have any that are *, then the range is just *
        for (const c of this.set) {
          if (c.length === 1 && isAny(c[0])) {
            this.set = [c]
            break
          }
        }
      }
    }

    this.formatted = undefined
  }

  get range () {
    if (this.formatted === undefined) {
      this.formatted = ''
      for (let i = 0; i < this.set.length; i++) {
        if (i > 0) {
          this.formatted += '||'
        }
        const comps = this.set[i]
        for (let k = 0; k < comps.length; k++) {
          if (k > 0) {
            this.formatted += ' '
          }
          this.formatted += comps[k].toString().trim()
        }
      }
    }
    return this.formatted
  }

  format () {
    return this.range
  }

  toString () {
    return this.range
  }

  parseRange (range) {
    // strip build metadata so it can't bleed into the version
    range = range.replace(BUILDSTRIPRE, '')

    // memoize range parsing for performance.
    // this is a very hot path, and fully deterministic.
    const memoOpts =
      (this.options.includePrerelease && FLAG_INCLUDE_PRERELEASE) |
      (this.options.loose && FLAG_LOOSE)
    const memoKey = memoOpts + ':' + range
    const cached = cache.get(memoKey)
    if (cached) {
      return cached
    }

    const loose = this.options.loose
    // `1.2.3 - 1.2.4` => `>=1.2.3 <=1.2.4`
    const hr = loose ? re[t.HYPHENRANGELOOSE] : re[t.HYPHENRANGE]
    range = range.replace(hr, hyphenReplace(this.options.includePrerelease))
    debug('hyphen replace', range)

    // `> 1.2.3 < 1.2.5` => `>1.2.3 <1.2.5`
    range = trimComparatorWhitespace(range)
    debug('comparator trim', range)

    // `~ 1.2.3` => `~1.2.3`
    range = range.replace(re[t.TILDETRIM], tildeTrimReplace)
    debug('tilde trim', range)

    // `^ 1.2.3` => `^1.2.3`
    range = range.replace(re[t.CARETTRIM], caretTrimReplace)
    debug('caret trim', range)

    // At this point, the range is completely trimmed and
    // ready to be split into comparators.

    let rangeList = range
      .split(' ')
      .map(comp => parseComparator(comp, this.options))
      .join(' ')
      .split(/\s+/)
      // >=0.0.0 is equivalent to *
      .map(comp => replaceGTE0(comp, this.options))

    if (loose) {
      // in loose mode, throw out any that are not valid comparators
      rangeList = rangeList.filter(comp => {
        debug('loose invalid filter', comp, this.options)
        return !!comp.match(re[t.COMPARATORLOOSE])
      })
    }
    debug('range list', rangeList)

    // if any comparators are the null set, then replace with JUST null set
    // if more than one comparator, remove any * comparators
    // also, don't include the same comparator more than once
    const rangeMap = new Map()
    const comparators = rangeList.map(comp => new Comparator(comp, this.options))
    for (const comp of comparators) {
      if (isNullSet(comp)) {
        return [comp]
      }
      rangeMap.set(comp.value, comp)
    }
    if (rangeMap.size > 1 && rangeMap.has('')) {
      rangeMap.delete('')
    }

    const result = [...rangeMap.values()]
    cache.set(memoKey, result)
    return result
  }

  intersects (range, options) {
    if (!(range instanceof Range)) {
      throw new TypeError('a Range is required')
    }

    return this.set.some((thisComparators) => {
      return (
        isSatisfiable(thisComparators, options) &&
        range.set.some((rangeComparators) => {
          return (
            isSatisfiable(rangeComparators, options) &&
            thisComparators.every((thisComparator) => {
              return rangeComparators.every((rangeComparator) => {
                return thisComparator.intersects(rangeComparator, options)
              })
            })
          )
        })
      )
    })
  }

  // if ANY of the sets match ALL of its comparators, then pass
  test (version) {
    if (!version) {
      return false
    }

    if (typeof version === 'string') {
      try {
        version = new SemVer(version, this.options)
      } catch (er) {
        return false
      }
    }

    for (let i = 0; i < this.set.length; i++) {
      if (testSet(this.set[i], version, this.options)) {
        return true
      }
    }
    return false
  }
}

module.exports = Range

const LRU = __nccwpck_require__(1383)
const cache = new LRU()

const parseOptions = __nccwpck_require__(356)
const Comparator = __nccwpck_require__(9379)
const debug = __nccwpck_require__(1159)
const SemVer = __nccwpck_require__(7163)
const trimComparatorWhitespace = __nccwpck_require__(9737)
const {
  safeRe: re,
  src,
  t,
  tildeTrimReplace,
  caretTrimReplace,
} = __nccwpck_require__(5471)
const { FLAG_INCLUDE_PRERELEASE, FLAG_LOOSE } = __nccwpck_require__(5101)

// unbounded global build-metadata stripper used by parseRange
const BUILDSTRIPRE = new RegExp(src[t.BUILD], 'g')

const isNullSet = c => c.value === '<0.0.0-0'
const isAny = c => c.value === ''

// take a set of comparators and determine whether there
// exists a version which can satisfy it
const isSatisfiable = (comparators, options) => {
  let result = true
  const remainingComparators = comparators.slice()
  let testComparator = remainingComparators.pop()

  while (result && remainingComparators.length) {
    result = remainingComparators.every((otherComparator) => {
      return testComparator.intersects(otherComparator, options)
    })

    testComparator = remainingComparators.pop()
  }

  return result
}

// comprised of xranges, tildes, stars, and gtlt's at this point.
// already replaced the hyphen ranges
// turn into a set of JUST comparators.
const parseComparator = (comp, options) => {
  comp = comp.replace(re[t.BUILD], '')
  debug('comp', comp, options)
  comp = replaceCarets(comp, options)
  debug('caret', comp)
  comp = replaceTildes(comp, options)
  debug('tildes', comp)
  comp = replaceXRanges(comp, options)
  debug('xrange', comp)
  comp = replaceStars(comp, options)
  debug('stars', comp)
  return comp
}

const isX = id => !id || id.toLowerCase() === 'x' || id === '*'

const invalidXRangeOrder = (M, m, p) => (
  (isX(M) && !isX(m)) ||
  (isX(m) && p && !isX(p))
)

// ~, ~> --> * (any, kinda silly)
// ~2, ~2.x, ~2.x.x, ~>2, ~>2.x ~>2.x.x --> >=2.0.0 <3.0.0-0
// ~2.0, ~2.0.x, ~>2.0, ~>2.0.x --> >=2.0.0 <2.1.0-0
// ~1.2, ~1.2.x, ~>1.2, ~>1.2.x --> >=1.2.0 <1.3.0-0
// ~1.2.3, ~>1.2.3 --> >=1.2.3 <1.3.0-0
// ~1.2.0, ~>1.2.0 --> >=1.2.0 <1.3.0-0
// ~0.0.1 --> >=0.0.1 <0.1.0-0
const replaceTildes = (comp, options) => {
  return comp
    .trim()
    .split(/\s+/)
    .map((c) => replaceTilde(c, options))
    .join(' ')
}

const replaceTilde = (comp, options) => {
  const r = options.loose ? re[t.TILDELOOSE] : re[t.TILDE]
  // if we're including prereleases in the match, then the lower bound is
  // -0, the lowest possible prerelease value, just like x-ranges and carets.
  // this keeps `~1.2` equivalent to the `1.2.x` x-range it's documented as.
  const z = options.includePrerelease ? '-0' : ''
  return comp.replace(r, (_, M, m, p, pr) => {
    debug('tilde', comp, _, M, m, p, pr)
    let ret

    if (isX(M)) {
      ret = ''
    } else if (isX(m)) {
      ret = `>=${M}.0.0${z} <${+M + 1}.0.0-0`
    } else if (isX(p)) {
      // ~1.2 == >=1.2.0 <1.3.0-0
      ret = `>=${M}.${m}.0${z} <${M}.${+m + 1}.0-0`
    } else if (pr) {
      debug('replaceTilde pr', pr)
      ret = `>=${M}.${m}.${p}-${pr
      } <${M}.${+m + 1}.0-0`
    } else {
      // ~1.2.3 == >=1.2.3 <1.3.0-0
      ret = `>=${M}.${m}.${p
      } <${M}.${+m + 1}.0-0`
    }

    debug('tilde return', ret)
    return ret
  })
}

// ^ --> * (any, kinda silly)
// ^2, ^2.x, ^2.x.x --> >=2.0.0 <3.0.0-0
// ^2.0, ^2.0.x --> >=2.0.0 <3.0.0-0
// ^1.2, ^1.2.x --> >=1.2.0 <2.0.0-0
// ^1.2.3 --> >=1.2.3 <2.0.0-0
// ^1.2.0 --> >=1.2.0 <2.0.0-0
// ^0.0.1 --> >=0.0.1 <0.0.2-0
// ^0.1.0 --> >=0.1.0 <0.2.0-0
const replaceCarets = (comp, options) => {
  return comp
    .trim()
    .split(/\s+/)
    .map((c) => replaceCaret(c, options))
    .join(' ')
}

const replaceCaret = (comp, options) => {
  debug('caret', comp, options)
  const r = options.loose ? re[t.CARETLOOSE] : re[t.CARET]
  const z = options.includePrerelease ? '-0' : ''
  return comp.replace(r, (_, M, m, p, pr) => {
    debug('caret', comp, _, M, m, p, pr)
    let ret

    if (isX(M)) {
      ret = ''
    } else if (isX(m)) {
      ret = `>=${M}.0.0${z} <${+M + 1}.0.0-0`
    } else if (isX(p)) {
      if (M === '0') {
        ret = `>=${M}.${m}.0${z} <${M}.${+m + 1}.0-0`
      } else {
        ret = `>=${M}.${m}.0${z} <${+M + 1}.0.0-0`
      }
    } else if (pr) {
      debug('replaceCaret pr', pr)
      if (M === '0') {
        if (m === '0') {
          ret = `>=${M}.${m}.${p}-${pr
          } <${M}.${m}.${+p + 1}-0`
        } else {
          ret = `>=${M}.${m}.${p}-${pr
          } <${M}.${+m + 1}.0-0`
        }
      } else {
        ret = `>=${M}.${m}.${p}-${pr
        } <${+M + 1}.0.0-0`
      }
    } else {
      debug('no pr')
      if (M === '0') {
        if (m === '0') {
          ret = `>=${M}.${m}.${p
          } <${M}.${m}.${+p + 1}-0`
        } else {
          ret = `>=${M}.${m}.${p
          } <${M}.${+m + 1}.0-0`
        }
      } else {
        ret = `>=${M}.${m}.${p
        } <${+M + 1}.0.0-0`
      }
    }

    debug('caret return', ret)
    return ret
  })
}

const replaceXRanges = (comp, options) => {
  debug('replaceXRanges', comp, options)
  return comp
    .split(/\s+/)
    .map((c) => replaceXRange(c, options))
    .join(' ')
}

const replaceXRange = (comp, options) => {
  comp = comp.trim()
  const r = options.loose ? re[t.XRANGELOOSE] : re[t.XRANGE]
  return comp.replace(r, (ret, gtlt, M, m, p, pr) => {
    debug('xRange', comp, ret, gtlt, M, m, p, pr)
    if (invalidXRangeOrder(M, m, p)) {
      return comp
    }

    const xM = isX(M)
    const xm = xM || isX(m)
    const xp = xm || isX(p)
    const anyX = xp

    if (gtlt === '=' && anyX) {
      gtlt = ''
    }

    // if we're including prereleases in the match, then we need
    // to fix this to -0, the lowest possible prerelease value
    pr = options.includePrerelease ? '-0' : ''

    if (xM) {
      if (gtlt === '>' || gtlt === '<') {
        // nothing is allowed
        ret = '<0.0.0-0'
      } else {
        // nothing is forbidden
        ret = '*'
      }
    } else if (gtlt && anyX) {
      // we know patch is an x, because we have any x at all.
      // replace X with 0
      if (xm) {
        m = 0
      }
      p = 0

      if (gtlt === '>') {
        // >1 => >=2.0.0
        // >1.2 => >=1.3.0
        gtlt = '>='
        if (xm) {
          M = +M + 1
          m = 0
          p = 0
        } else {
          m = +m + 1
          p = 0
        }
      } else if (gtlt === '<=') {
        // <=0.7.x is actually <0.8.0, since any 0.7.x should
        // pass.  Similarly, <=7.x is actually <8.0.0, etc.
        gtlt = '<'
        if (xm) {
          M = +M + 1
        } else {
          m = +m + 1
        }
      }

      if (gtlt === '<') {
        pr = '-0'
      }

      ret = `${gtlt + M}.${m}.${p}${pr}`
    } else if (xm) {
      ret = `>=${M}.0.0${pr} <${+M + 1}.0.0-0`
    } else if (xp) {
      ret = `>=${M}.${m}.0${pr
      } <${M}.${+m + 1}.0-0`
    }

    debug('xRange return', ret)

    return ret
  })
}

// Because * is AND-ed with everything else in the comparator,
// and '' means "any version", just remove the *s entirely.
const replaceStars = (comp, options) => {
  debug('replaceStars', comp, options)
  // Looseness is ignored here.  star is always as loose as it gets!
  return comp
    .trim()
    .replace(re[t.STAR], '')
}

const replaceGTE0 = (comp, options) => {
  debug('replaceGTE0', comp, options)
  return comp
    .trim()
    .replace(re[options.includePrerelease ? t.GTE0PRE : t.GTE0], '')
}

// This function is passed to string.replace(re[t.HYPHENRANGE])
// M, m, patch, prerelease, build
// 1.2 - 3.4.5 => >=1.2.0 <=3.4.5
// 1.2.3 - 3.4 => >=1.2.0 <3.5.0-0 Any 3.4.x will do
// 1.2 - 3.4 => >=1.2.0 <3.5.0-0
// TODO build?
const hyphenReplace = incPr => ($0,
  from, fM, fm, fp, fpr, fb,
  to, tM, tm, tp, tpr) => {
  if (isX(fM)) {
    from = ''
  } else if (isX(fm)) {
    from = `>=${fM}.0.0${incPr ? '-0' : ''}`
  } else if (isX(fp)) {
    from = `>=${fM}.${fm}.0${incPr ? '-0' : ''}`
  } else if (fpr) {
    from = `>=${from}`
  } else {
    from = `>=${from}${incPr ? '-0' : ''}`
  }

  if (isX(tM)) {
    to = ''
  } else if (isX(tm)) {
    to = `<${+tM + 1}.0.0-0`
  } else if (isX(tp)) {
    to = `<${tM}.${+tm + 1}.0-0`
  } else if (tpr) {
    to = `<=${tM}.${tm}.${tp}-${tpr}`
  } else if (incPr) {
    to = `<${tM}.${tm}.${+tp + 1}-0`
  } else {
    to = `<=${to}`
  }

  return `${from} ${to}`.trim()
}

const testSet = (set, version, options) => {
  for (let i = 0; i < set.length; i++) {
    if (!set[i].test(version)) {
      return false
    }
  }

  if (version.prerelease.length && !options.includePrerelease) {
    // Find the set of versions that are allowed to have prereleases
    // For example, ^1.2.3-pr.1 desugars to >=1.2.3-pr.1 <2.0.0
    // That should allow `1.2.3-pr.2` to pass.
    // However, `1.2.4-alpha.notready` should NOT be allowed,
    // even though it's within the range set by the comparators.
    for (let i = 0; i < set.length; i++) {
      debug(set[i].semver)
      if (set[i].semver === Comparator.ANY) {
        continue
      }

      if (set[i].semver.prerelease.length > 0) {
        const allowed = set[i].semver
        if (allowed.major === version.major &&
            allowed.minor === version.minor &&
            allowed.patch === version.patch) {
          return true
        }
      }
    }

    // Version has a -pre, but it's not one of the ones we like.
    return false
  }

  return true
}


/***/ }),

/***/ 7163:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



const debug = __nccwpck_require__(1159)
const { MAX_LENGTH, MAX_SAFE_INTEGER } = __nccwpck_require__(5101)
const { safeRe: re, t } = __nccwpck_require__(5471)

const parseOptions = __nccwpck_require__(356)
const { compareIdentifiers } = __nccwpck_require__(3348)

const isPrereleaseIdentifier = (prerelease, identifier) => {
  const identifiers = identifier.split('.')
  if (identifiers.length > prerelease.length) {
    return false
  }

  for (let i = 0; i < identifiers.length; i++) {
    if (compareIdentifiers(prerelease[i], identifiers[i]) !== 0) {
      return false
    }
  }

  return true
}

class SemVer {
  constructor (version, options) {
    options = parseOptions(options)

    if (version instanceof SemVer) {
      if (version.loose === !!options.loose &&
        version.includePrerelease === !!options.includePrerelease) {
        return version
      } else {
        version = version.version
      }
    } else if (typeof version !== 'string') {
      throw new TypeError(`Invalid version. Must be a string. Got type "${typeof version}".`)
    }

    if (version.length > MAX_LENGTH) {
      throw new TypeError(
        `version is longer than ${MAX_LENGTH} characters`
      )
    }

    debug('SemVer', version, options)
    this.options = options
    this.loose = !!options.loose
    // this isn't actually relevant for versions, but keep it so that we
    // don't run into trouble passing this.options around.
    this.includePrerelease = !!options.includePrerelease

    const m = version.trim().match(options.loose ? re[t.LOOSE] : re[t.FULL])

    if (!m) {
      throw new TypeError(`Invalid Version: ${version}`)
    }

    this.raw = version

    // these are actually numbers
    this.major = +m[1]
    this.minor = +m[2]
    this.patch = +m[3]

    if (this.major > MAX_SAFE_INTEGER || this.major < 0) {
      throw new TypeError('Invalid major version')
    }

    if (this.minor > MAX_SAFE_INTEGER || this.minor < 0) {
      throw new TypeError('Invalid minor version')
    }

    if (this.patch > MAX_SAFE_INTEGER || this.patch < 0) {
      throw new TypeError('Invalid patch version')
    }

    // numberify any prerelease numeric ids
    if (!m[4]) {
      this.prerelease = []
    } else {
      this.prerelease = m[4].split('.').map((id) => {
        if (/^[0-9]+$/.test(id)) {
          const num = +id
          if (num >= 0 && num < MAX_SAFE_INTEGER) {
            return num
          }
        }
        return id
      })
    }

    this.build = m[5] ? m[5].split('.') : []
    this.format()
  }

  format () {
    this.version = `${this.major}.${this.minor}.${this.patch}`
    if (this.prerelease.length) {
      this.version += `-${this.prerelease.join('.')}`
    }
    return this.version
  }

  toString () {
    return this.version
  }

  compare (other) {
    debug('SemVer.compare', this.version, this.options, other)
    if (!(other instanceof SemVer)) {
      if (typeof other === 'string' && other === this.version) {
        return 0
      }
      other = new SemVer(other, this.options)
    }

    if (other.version === this.version) {
      return 0
    }

    return this.compareMain(other) || this.comparePre(other)
  }

  compareMain (other) {
    if (!(other instanceof SemVer)) {
      other = new SemVer(other, this.options)
    }

    if (this.major < other.major) {
      return -1
    }
    if (this.major > other.major) {
      return 1
    }
    if (this.minor < other.minor) {
      return -1
    }
    if (this.minor > other.minor) {
      return 1
    }
    if (this.patch < other.patch) {
      return -1
    }
    if (this.patch > other.patch) {
      return 1
    }
    return 0
  }

  comparePre (other) {
    if (!(other instanceof SemVer)) {
      other = new SemVer(other, this.options)
    }

    // NOT having a prerelease is > having one
    if (this.prerelease.length && !other.prerelease.length) {
      return -1
    } else if (!this.prerelease.length && other.prerelease.length) {
      return 1
    } else if (!this.prerelease.length && !other.prerelease.length) {
      return 0
    }

    let i = 0
    do {
      const a = this.prerelease[i]
      const b = other.prerelease[i]
      debug('prerelease compare', i, a, b)
      if (a === undefined && b === undefined) {
        return 0
      } else if (b === undefined) {
        return 1
      } else if (a === undefined) {
        return -1
      } else if (a === b) {
        continue
      } else {
        return compareIdentifiers(a, b)
      }
    } while (++i)
  }

  compareBuild (other) {
    if (!(other instanceof SemVer)) {
      other = new SemVer(other, this.options)
    }

    let i = 0
    do {
      const a = this.build[i]
      const b = other.build[i]
      debug('build compare', i, a, b)
      if (a === undefined && b === undefined) {
        return 0
      } else if (b === undefined) {
        return 1
      } else if (a === undefined) {
        return -1
      } else if (a === b) {
        continue
      } else {
        return compareIdentifiers(a, b)
      }
    } while (++i)
  }

  // preminor will bump the version up to the next minor release, and immediately
  // down to pre-release. premajor and prepatch work the same way.
  inc (release, identifier, identifierBase) {
    if (release.startsWith('pre')) {
      if (!identifier && identifierBase === false) {
        throw new Error('invalid increment argument: identifier is empty')
      }
      // Avoid an invalid semver results
      if (identifier) {
        const match = `-${identifier}`.match(this.options.loose ? re[t.PRERELEASELOOSE] : re[t.PRERELEASE])
        if (!match || match[1] !== identifier) {
          throw new Error(`invalid identifier: ${identifier}`)
        }
      }
    }

    switch (release) {
      case 'premajor':
        this.prerelease.length = 0
        this.patch = 0
        this.minor = 0
        this.major++
        this.inc('pre', identifier, identifierBase)
        break
      case 'preminor':
        this.prerelease.length = 0
        this.patch = 0
        this.minor++
        this.inc('pre', identifier, identifierBase)
        break
      case 'prepatch':
        // If this is already a prerelease, it will bump to the next version
        // drop any prereleases that might already exist, since they are not
        // relevant at this point.
        this.prerelease.length = 0
        this.inc('patch', identifier, identifierBase)
        this.inc('pre', identifier, identifierBase)
        break
      // If the input is a non-prerelease version, this acts the same as
      // prepatch.
      case 'prerelease':
        if (this.prerelease.length === 0) {
          this.inc('patch', identifier, identifierBase)
        }
        this.inc('pre', identifier, identifierBase)
        break
      case 'release':
        if (this.prerelease.length === 0) {
          throw new Error(`version ${this.raw} is not a prerelease`)
        }
        this.prerelease.length = 0
        break

      case 'major':
        // If this is a pre-major version, bump up to the same major version.
        // Otherwise increment major.
        // 1.0.0-5 bumps to 1.0.0
        // 1.1.0 bumps to 2.0.0
        if (
          this.minor !== 0 ||
          this.patch !== 0 ||
          this.prerelease.length === 0
        ) {
          this.major++
        }
        this.minor = 0
        this.patch = 0
        this.prerelease = []
        break
      case 'minor':
        // If this is a pre-minor version, bump up to the same minor version.
        // Otherwise increment minor.
        // 1.2.0-5 bumps to 1.2.0
        // 1.2.1 bumps to 1.3.0
        if (this.patch !== 0 || this.prerelease.length === 0) {
          this.minor++
        }
        this.patch = 0
        this.prerelease = []
        break
      case 'patch':
        // If this is not a pre-release version, it will increment the patch.
        // If it is a pre-release it will bump up to the same patch version.
        // 1.2.0-5 patches to 1.2.0
        // 1.2.0 patches to 1.2.1
        if (this.prerelease.length === 0) {
          this.patch++
        }
        this.prerelease = []
        break
      // This probably shouldn't be used publicly.
      // 1.0.0 'pre' would become 1.0.0-0 which is the wrong direction.
      case 'pre': {
        const base = Number(identifierBase) ? 1 : 0

        if (this.prerelease.length === 0) {
          this.prerelease = [base]
        } else {
          let i = this.prerelease.length
          while (--i >= 0) {
            if (typeof this.prerelease[i] === 'number') {
              this.prerelease[i]++
              i = -2
            }
          }
          if (i === -1) {
            // didn't increment anything
            if (identifier === this.prerelease.join('.') && identifierBase === false) {
              throw new Error('invalid increment argument: identifier already exists')
            }
            this.prerelease.push(base)
          }
        }
        if (identifier) {
          // 1.2.0-beta.1 bumps to 1.2.0-beta.2,
          // 1.2.0-beta.fooblz or 1.2.0-beta bumps to 1.2.0-beta.0
          let prerelease = [identifier, base]
          if (identifierBase === false) {
            prerelease = [identifier]
          }
          if (isPrereleaseIdentifier(this.prerelease, identifier)) {
            const prereleaseBase = this.prerelease[identifier.split('.').length]
            if (isNaN(prereleaseBase)) {
              this.prerelease = prerelease
            }
          } else {
            this.prerelease = prerelease
          }
        }
        break
      }
      default:
        throw new Error(`invalid increment argument: ${release}`)
    }
    this.raw = this.format()
    if (this.build.length) {
      this.raw += `+${this.build.join('.')}`
    }
    return this
  }
}

module.exports = SemVer


/***/ }),

/***/ 1799:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



const parse = __nccwpck_require__(6353)
const clean = (version, options) => {
  const s = parse(version.trim().replace(/^[=v]+/, ''), options)
  return s ? s.version : null
}
module.exports = clean


/***/ }),

/***/ 8646:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



const eq = __nccwpck_require__(5082)
const neq = __nccwpck_require__(4974)
const gt = __nccwpck_require__(6599)
const gte = __nccwpck_require__(1236)
const lt = __nccwpck_require__(3872)
const lte = __nccwpck_require__(6717)

const cmp = (a, op, b, loose) => {
  switch (op) {
    case '===':
      if (typeof a === 'object') {
        a = a.version
      }
      if (typeof b === 'object') {
        b = b.version
      }
      return a === b

    case '!==':
      if (typeof a === 'object') {
        a = a.version
      }
      if (typeof b === 'object') {
        b = b.version
      }
      return a !== b

    case '':
    case '=':
    case '==':
      return eq(a, b, loose)

    case '!=':
      return neq(a, b, loose)

    case '>':
      return gt(a, b, loose)

    case '>=':
      return gte(a, b, loose)

    case '<':
      return lt(a, b, loose)

    case '<=':
      return lte(a, b, loose)

    default:
      throw new TypeError(`Invalid operator: ${op}`)
  }
}
module.exports = cmp


/***/ }),

/***/ 5385:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



const SemVer = __nccwpck_require__(7163)
const parse = __nccwpck_require__(6353)
const { safeRe: re, t } = __nccwpck_require__(5471)

const coerce = (version, options) => {
  if (version instanceof SemVer) {
    return version
  }

  if (typeof version === 'number') {
    version = String(version)
  }

  if (typeof version !== 'string') {
    return null
  }

  options = options || {}

  let match = null
  if (!options.rtl) {
    match = version.match(options.includePrerelease ? re[t.COERCEFULL] : re[t.COERCE])
  } else {
    // Find the right-most coercible string that does not share
    // a terminus with a more left-ward coercible string.
    // Eg, '1.2.3.4' wants to coerce '2.3.4', not '3.4' or '4'
    // With includePrerelease option set, '1.2.3.4-rc' wants to coerce '2.3.4-rc', not '2.3.4'
    //
    // Walk through the string checking with a /g regexp
    // Manually set the index so as to pick up overlapping matches.
    // Stop when we get a match that ends at the string end, since no
    // coercible string can be more right-ward without the same terminus.
    const coerceRtlRegex = options.includePrerelease ? re[t.COERCERTLFULL] : re[t.COERCERTL]
    let next
    while ((next = coerceRtlRegex.exec(version)) &&
        (!match || match.index + match[0].length !== version.length)
    ) {
      if (!match ||
            next.index + next[0].length !== match.index + match[0].length) {
        match = next
      }
      coerceRtlRegex.lastIndex = next.index + next[1].length + next[2].length
    }
    // leave it in a clean state
    coerceRtlRegex.lastIndex = -1
  }

  if (match === null) {
    return null
  }

  const major = match[2]
  const minor = match[3] || '0'
  const patch = match[4] || '0'
  const prerelease = options.includePrerelease && match[5] ? `-${match[5]}` : ''
  const build = options.includePrerelease && match[6] ? `+${match[6]}` : ''

  return parse(`${major}.${minor}.${patch}${prerelease}${build}`, options)
}
module.exports = coerce


/***/ }),

/***/ 7648:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



const SemVer = __nccwpck_require__(7163)
const compareBuild = (a, b, loose) => {
  const versionA = new SemVer(a, loose)
  const versionB = new SemVer(b, loose)
  return versionA.compare(versionB) || versionA.compareBuild(versionB)
}
module.exports = compareBuild


/***/ }),

/***/ 6874:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



const compare = __nccwpck_require__(8469)
const compareLoose = (a, b) => compare(a, b, true)
module.exports = compareLoose


/***/ }),

/***/ 8469:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



const SemVer = __nccwpck_require__(7163)
const compare = (a, b, loose) =>
  new SemVer(a, loose).compare(new SemVer(b, loose))

module.exports = compare


/***/ }),

/***/ 711:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



const parse = __nccwpck_require__(6353)

const diff = (version1, version2) => {
  const v1 = parse(version1, null, true)
  const v2 = parse(version2, null, true)
  const comparison = v1.compare(v2)

  if (comparison === 0) {
    return null
  }

  const v1Higher = comparison > 0
  const highVersion = v1Higher ? v1 : v2
  const lowVersion = v1Higher ? v2 : v1
  const highHasPre = !!highVersion.prerelease.length
  const lowHasPre = !!lowVersion.prerelease.length

  if (lowHasPre && !highHasPre) {
    // Going from prerelease -> no prerelease requires some special casing

    // If the low version has only a major, then it will always be a major
    // Some examples:
    // 1.0.0-1 -> 1.0.0
    // 1.0.0-1 -> 1.1.1
    // 1.0.0-1 -> 2.0.0
    if (!lowVersion.patch && !lowVersion.minor) {
      return 'major'
    }

    // If the main part has no difference
    if (lowVersion.compareMain(highVersion) === 0) {
      if (lowVersion.minor && !lowVersion.patch) {
        return 'minor'
      }
      return 'patch'
    }
  }

  // add the `pre` prefix if we are going to a prerelease version
  const prefix = highHasPre ? 'pre' : ''

  if (v1.major !== v2.major) {
    return prefix + 'major'
  }

  if (v1.minor !== v2.minor) {
    return prefix + 'minor'
  }

  if (v1.patch !== v2.patch) {
    return prefix + 'patch'
  }

  // high and low are prereleases
  return 'prerelease'
}

module.exports = diff


/***/ }),

/***/ 5082:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



const compare = __nccwpck_require__(8469)
const eq = (a, b, loose) => compare(a, b, loose) === 0
module.exports = eq


/***/ }),

/***/ 6599:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



const compare = __nccwpck_require__(8469)
const gt = (a, b, loose) => compare(a, b, loose) > 0
module.exports = gt


/***/ }),

/***/ 1236:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



const compare = __nccwpck_require__(8469)
const gte = (a, b, loose) => compare(a, b, loose) >= 0
module.exports = gte


/***/ }),

/***/ 2338:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



const SemVer = __nccwpck_require__(7163)

const inc = (version, release, options, identifier, identifierBase) => {
  if (typeof (options) === 'string') {
    identifierBase = identifier
    identifier = options
    options = undefined
  }

  try {
    return new SemVer(
      version instanceof SemVer ? version.version : version,
      options
    ).inc(release, identifier, identifierBase).version
  } catch (er) {
    return null
  }
}
module.exports = inc


/***/ }),

/***/ 3872:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



const compare = __nccwpck_require__(8469)
const lt = (a, b, loose) => compare(a, b, loose) < 0
module.exports = lt


/***/ }),

/***/ 6717:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



const compare = __nccwpck_require__(8469)
const lte = (a, b, loose) => compare(a, b, loose) <= 0
module.exports = lte


/***/ }),

/***/ 8511:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



const SemVer = __nccwpck_require__(7163)
const major = (a, loose) => new SemVer(a, loose).major
module.exports = major


/***/ }),

/***/ 2603:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



const SemVer = __nccwpck_require__(7163)
const minor = (a, loose) => new SemVer(a, loose).minor
module.exports = minor


/***/ }),

/***/ 4974:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



const compare = __nccwpck_require__(8469)
const neq = (a, b, loose) => compare(a, b, loose) !== 0
module.exports = neq


/***/ }),

/***/ 6353:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



const SemVer = __nccwpck_require__(7163)
const parse = (version, options, throwErrors = false) => {
  if (version instanceof SemVer) {
    return version
  }
  try {
    return new SemVer(version, options)
  } catch (er) {
    if (!throwErrors) {
      return null
    }
    throw er
  }
}

module.exports = parse


/***/ }),

/***/ 8756:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



const SemVer = __nccwpck_require__(7163)
const patch = (a, loose) => new SemVer(a, loose).patch
module.exports = patch


/***/ }),

/***/ 5714:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



const parse = __nccwpck_require__(6353)
const prerelease = (version, options) => {
  const parsed = parse(version, options)
  return (parsed && parsed.prerelease.length) ? parsed.prerelease : null
}
module.exports = prerelease


/***/ }),

/***/ 2173:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



const compare = __nccwpck_require__(8469)
const rcompare = (a, b, loose) => compare(b, a, loose)
module.exports = rcompare


/***/ }),

/***/ 7192:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



const compareBuild = __nccwpck_require__(7648)
const rsort = (list, loose) => list.sort((a, b) => compareBuild(b, a, loose))
module.exports = rsort


/***/ }),

/***/ 8011:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



const Range = __nccwpck_require__(6782)
const satisfies = (version, range, options) => {
  try {
    range = new Range(range, options)
  } catch (er) {
    return false
  }
  return range.test(version)
}
module.exports = satisfies


/***/ }),

/***/ 9872:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



const compareBuild = __nccwpck_require__(7648)
const sort = (list, loose) => list.sort((a, b) => compareBuild(a, b, loose))
module.exports = sort


/***/ }),

/***/ 6114:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



const parse = __nccwpck_require__(6353)
const constants = __nccwpck_require__(5101)
const SemVer = __nccwpck_require__(7163)

const truncate = (version, truncation, options) => {
  if (!constants.RELEASE_TYPES.includes(truncation)) {
    return null
  }

  const clonedVersion = cloneInputVersion(version, options)
  return clonedVersion && doTruncation(clonedVersion, truncation)
}

const cloneInputVersion = (version, options) => {
  const versionStringToParse = (
    version instanceof SemVer ? version.version : version
  )

  return parse(versionStringToParse, options)
}

const doTruncation = (version, truncation) => {
  if (isPrerelease(truncation)) {
    return version.version
  }

  version.prerelease = []

  switch (truncation) {
    case 'major':
      version.minor = 0
      version.patch = 0
      break
    case 'minor':
      version.patch = 0
      break
  }

  return version.format()
}

const isPrerelease = (type) => {
  return type.startsWith('pre')
}

module.exports = truncate


/***/ }),

/***/ 8780:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



const parse = __nccwpck_require__(6353)
const valid = (version, options) => {
  const v = parse(version, options)
  return v ? v.version : null
}
module.exports = valid


/***/ }),

/***/ 2088:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



// just pre-load all the stuff that index.js lazily exports
const internalRe = __nccwpck_require__(5471)
const constants = __nccwpck_require__(5101)
const SemVer = __nccwpck_require__(7163)
const identifiers = __nccwpck_require__(3348)
const parse = __nccwpck_require__(6353)
const valid = __nccwpck_require__(8780)
const clean = __nccwpck_require__(1799)
const inc = __nccwpck_require__(2338)
const diff = __nccwpck_require__(711)
const major = __nccwpck_require__(8511)
const minor = __nccwpck_require__(2603)
const patch = __nccwpck_require__(8756)
const prerelease = __nccwpck_require__(5714)
const compare = __nccwpck_require__(8469)
const rcompare = __nccwpck_require__(2173)
const compareLoose = __nccwpck_require__(6874)
const compareBuild = __nccwpck_require__(7648)
const sort = __nccwpck_require__(9872)
const rsort = __nccwpck_require__(7192)
const gt = __nccwpck_require__(6599)
const lt = __nccwpck_require__(3872)
const eq = __nccwpck_require__(5082)
const neq = __nccwpck_require__(4974)
const gte = __nccwpck_require__(1236)
const lte = __nccwpck_require__(6717)
const cmp = __nccwpck_require__(8646)
const coerce = __nccwpck_require__(5385)
const truncate = __nccwpck_require__(6114)
const Comparator = __nccwpck_require__(9379)
const Range = __nccwpck_require__(6782)
const satisfies = __nccwpck_require__(8011)
const toComparators = __nccwpck_require__(4750)
const maxSatisfying = __nccwpck_require__(3193)
const minSatisfying = __nccwpck_require__(8595)
const minVersion = __nccwpck_require__(1866)
const validRange = __nccwpck_require__(4737)
const outside = __nccwpck_require__(280)
const gtr = __nccwpck_require__(2276)
const ltr = __nccwpck_require__(5213)
const intersects = __nccwpck_require__(3465)
const simplifyRange = __nccwpck_require__(2028)
const subset = __nccwpck_require__(1489)
module.exports = {
  parse,
  valid,
  clean,
  inc,
  diff,
  major,
  minor,
  patch,
  prerelease,
  compare,
  rcompare,
  compareLoose,
  compareBuild,
  sort,
  rsort,
  gt,
  lt,
  eq,
  neq,
  gte,
  lte,
  cmp,
  coerce,
  truncate,
  Comparator,
  Range,
  satisfies,
  toComparators,
  maxSatisfying,
  minSatisfying,
  minVersion,
  validRange,
  outside,
  gtr,
  ltr,
  intersects,
  simplifyRange,
  subset,
  SemVer,
  re: internalRe.re,
  src: internalRe.src,
  tokens: internalRe.t,
  SEMVER_SPEC_VERSION: constants.SEMVER_SPEC_VERSION,
  RELEASE_TYPES: constants.RELEASE_TYPES,
  compareIdentifiers: identifiers.compareIdentifiers,
  rcompareIdentifiers: identifiers.rcompareIdentifiers,
}


/***/ }),

/***/ 5101:
/***/ ((module) => {



// Note: this is the semver.org version of the spec that it implements
// Not necessarily the package version of this code.
const SEMVER_SPEC_VERSION = '2.0.0'

const MAX_LENGTH = 256
const MAX_SAFE_INTEGER = Number.MAX_SAFE_INTEGER ||
/* istanbul ignore next */ 9007199254740991

// Max safe segment length for coercion.
const MAX_SAFE_COMPONENT_LENGTH = 16

// Max safe length for a build identifier. The max length minus 6 characters for
// the shortest version with a build 0.0.0+BUILD.
const MAX_SAFE_BUILD_LENGTH = MAX_LENGTH - 6

// ECMAScript whitespace and line terminators matched by \s.
const WHITESPACE_CHARACTERS = [
  '\t',
  '\n',
  '\v',
  '\f',
  '\r',
  ' ',
  '\u00a0',
  '\u1680',
  '\u2000',
  '\u2001',
  '\u2002',
  '\u2003',
  '\u2004',
  '\u2005',
  '\u2006',
  '\u2007',
  '\u2008',
  '\u2009',
  '\u200a',
  '\u2028',
  '\u2029',
  '\u202f',
  '\u205f',
  '\u3000',
  '\ufeff',
]

const RELEASE_TYPES = [
  'major',
  'premajor',
  'minor',
  'preminor',
  'patch',
  'prepatch',
  'prerelease',
]

module.exports = {
  MAX_LENGTH,
  MAX_SAFE_COMPONENT_LENGTH,
  MAX_SAFE_BUILD_LENGTH,
  MAX_SAFE_INTEGER,
  WHITESPACE_CHARACTERS,
  RELEASE_TYPES,
  SEMVER_SPEC_VERSION,
  FLAG_INCLUDE_PRERELEASE: 0b001,
  FLAG_LOOSE: 0b010,
}


/***/ }),

/***/ 1159:
/***/ ((module) => {



const debug = (
  typeof process === 'object' &&
  process.env &&
  process.env.NODE_DEBUG &&
  /\bsemver\b/i.test(process.env.NODE_DEBUG)
) ? (...args) => console.error('SEMVER', ...args)
  : () => {}

module.exports = debug


/***/ }),

/***/ 3348:
/***/ ((module) => {



const numeric = /^[0-9]+$/
const compareIdentifiers = (a, b) => {
  if (typeof a === 'number' && typeof b === 'number') {
    return a === b ? 0 : a < b ? -1 : 1
  }

  const anum = numeric.test(a)
  const bnum = numeric.test(b)

  if (anum && bnum) {
    a = +a
    b = +b
  }

  return a === b ? 0
    : (anum && !bnum) ? -1
    : (bnum && !anum) ? 1
    : a < b ? -1
    : 1
}

const rcompareIdentifiers = (a, b) => compareIdentifiers(b, a)

module.exports = {
  compareIdentifiers,
  rcompareIdentifiers,
}


/***/ }),

/***/ 1383:
/***/ ((module) => {



class LRUCache {
  constructor () {
    this.max = 1000
    this.map = new Map()
  }

  get (key) {
    const value = this.map.get(key)
    if (value === undefined) {
      return undefined
    } else {
      // Remove the key from the map and add it to the end
      this.map.delete(key)
      this.map.set(key, value)
      return value
    }
  }

  delete (key) {
    return this.map.delete(key)
  }

  set (key, value) {
    const deleted = this.delete(key)

    if (!deleted && value !== undefined) {
      // If cache is full, delete the least recently used item
      if (this.map.size >= this.max) {
        const firstKey = this.map.keys().next().value
        this.delete(firstKey)
      }

      this.map.set(key, value)
    }

    return this
  }
}

module.exports = LRUCache


/***/ }),

/***/ 356:
/***/ ((module) => {



// parse out just the options we care about
const looseOption = Object.freeze({ loose: true })
const emptyOpts = Object.freeze({ })
const parseOptions = options => {
  if (!options) {
    return emptyOpts
  }

  if (typeof options !== 'object') {
    return looseOption
  }

  return options
}
module.exports = parseOptions


/***/ }),

/***/ 5471:
/***/ ((module, exports, __nccwpck_require__) => {



const {
  MAX_SAFE_COMPONENT_LENGTH,
  MAX_SAFE_BUILD_LENGTH,
  MAX_LENGTH,
} = __nccwpck_require__(5101)
const debug = __nccwpck_require__(1159)
exports = module.exports = {}

// The actual regexps go on exports.re
const re = exports.re = []
const safeRe = exports.safeRe = []
const src = exports.src = []
const safeSrc = exports.safeSrc = []
const t = exports.t = {}
let R = 0

const LETTERDASHNUMBER = '[a-zA-Z0-9-]'

// Replace some greedy regex tokens to prevent regex dos issues. These regex are
// used internally via the safeRe object since all inputs in this library get
// normalized first to trim and collapse all extra whitespace. The original
// regexes are exported for userland consumption and lower level usage. A
// future breaking change could export the safer regex only with a note that
// all input should have extra whitespace removed.
const safeRegexReplacements = [
  ['\\s', 1],
  ['\\d', MAX_LENGTH],
  [LETTERDASHNUMBER, MAX_SAFE_BUILD_LENGTH],
]

const makeSafeRegex = (value) => {
  for (const [token, max] of safeRegexReplacements) {
    value = value
      .split(`${token}*`).join(`${token}{0,${max}}`)
      .split(`${token}+`).join(`${token}{1,${max}}`)
  }
  return value
}

const createToken = (name, value, isGlobal) => {
  const safe = makeSafeRegex(value)
  const index = R++
  debug(name, index, value)
  t[name] = index
  src[index] = value
  safeSrc[index] = safe
  re[index] = new RegExp(value, isGlobal ? 'g' : undefined)
  safeRe[index] = new RegExp(safe, isGlobal ? 'g' : undefined)
}

// The following Regular Expressions can be used for tokenizing,
// validating, and parsing SemVer version strings.

// ## Numeric Identifier
// A single `0`, or a non-zero digit followed by zero or more digits.

createToken('NUMERICIDENTIFIER', '0|[1-9]\\d*')
createToken('NUMERICIDENTIFIERLOOSE', '\\d+')

// ## Non-numeric Identifier
// Zero or more digits, followed by a letter or hyphen, and then zero or
// more letters, digits, or hyphens.

createToken('NONNUMERICIDENTIFIER', `\\d*[a-zA-Z-]${LETTERDASHNUMBER}*`)

// ## Main Version
// Three dot-separated numeric identifiers.

createToken('MAINVERSION', `(${src[t.NUMERICIDENTIFIER]})\\.` +
                   `(${src[t.NUMERICIDENTIFIER]})\\.` +
                   `(${src[t.NUMERICIDENTIFIER]})`)

createToken('MAINVERSIONLOOSE', `(${src[t.NUMERICIDENTIFIERLOOSE]})\\.` +
                        `(${src[t.NUMERICIDENTIFIERLOOSE]})\\.` +
                        `(${src[t.NUMERICIDENTIFIERLOOSE]})`)

// ## Pre-release Version Identifier
// A numeric identifier, or a non-numeric identifier.
// Non-numeric identifiers include numeric identifiers but can be longer.
// Therefore non-numeric identifiers must go first.

createToken('PRERELEASEIDENTIFIER', `(?:${src[t.NONNUMERICIDENTIFIER]
}|${src[t.NUMERICIDENTIFIER]})`)

createToken('PRERELEASEIDENTIFIERLOOSE', `(?:${src[t.NONNUMERICIDENTIFIER]
}|${src[t.NUMERICIDENTIFIERLOOSE]})`)

// ## Pre-release Version
// Hyphen, followed by one or more dot-separated pre-release version
// identifiers.

createToken('PRERELEASE', `(?:-(${src[t.PRERELEASEIDENTIFIER]
}(?:\\.${src[t.PRERELEASEIDENTIFIER]})*))`)

createToken('PRERELEASELOOSE', `(?:-?(${src[t.PRERELEASEIDENTIFIERLOOSE]
}(?:\\.${src[t.PRERELEASEIDENTIFIERLOOSE]})*))`)

// ## Build Metadata Identifier
// Any combination of digits, letters, or hyphens.

createToken('BUILDIDENTIFIER', `${LETTERDASHNUMBER}+`)

// ## Build Metadata
// Plus sign, followed by one or more period-separated build metadata
// identifiers.

createToken('BUILD', `(?:\\+(${src[t.BUILDIDENTIFIER]
}(?:\\.${src[t.BUILDIDENTIFIER]})*))`)

// ## Full Version String
// A main version, followed optionally by a pre-release version and
// build metadata.

// Note that the only major, minor, patch, and pre-release sections of
// the version string are capturing groups.  The build metadata is not a
// capturing group, because it should not ever be used in version
// comparison.

createToken('FULLPLAIN', `v?${src[t.MAINVERSION]
}${src[t.PRERELEASE]}?${
  src[t.BUILD]}?`)

createToken('FULL', `^${src[t.FULLPLAIN]}$`)

// like full, but allows v1.2.3 and =1.2.3, which people do sometimes.
// also, 1.0.0alpha1 (prerelease without the hyphen) which is pretty
// common in the npm registry.
createToken('LOOSEPLAIN', `[v=\\s]*${src[t.MAINVERSIONLOOSE]
}${src[t.PRERELEASELOOSE]}?${
  src[t.BUILD]}?`)

createToken('LOOSE', `^${src[t.LOOSEPLAIN]}$`)

createToken('GTLT', '((?:<|>)?=?)')

// Something like "2.*" or "1.2.x".
// Note that "x.x" is a valid xRange identifier, meaning "any version"
// Only the first item is strictly required.
createToken('XRANGEIDENTIFIERLOOSE', `${src[t.NUMERICIDENTIFIERLOOSE]}|x|X|\\*`)
createToken('XRANGEIDENTIFIER', `${src[t.NUMERICIDENTIFIER]}|x|X|\\*`)

createToken('XRANGEPLAIN', `[v=\\s]*(${src[t.XRANGEIDENTIFIER]})` +
                   `(?:\\.(${src[t.XRANGEIDENTIFIER]})` +
                   `(?:\\.(${src[t.XRANGEIDENTIFIER]})` +
                   `(?:${src[t.PRERELEASE]})?${
                     src[t.BUILD]}?` +
                   `)?)?`)

createToken('XRANGEPLAINLOOSE', `[v=\\s]*(${src[t.XRANGEIDENTIFIERLOOSE]})` +
                        `(?:\\.(${src[t.XRANGEIDENTIFIERLOOSE]})` +
                        `(?:\\.(${src[t.XRANGEIDENTIFIERLOOSE]})` +
                        `(?:${src[t.PRERELEASELOOSE]})?${
                          src[t.BUILD]}?` +
                        `)?)?`)

createToken('XRANGE', `^${src[t.GTLT]}\\s*${src[t.XRANGEPLAIN]}$`)
createToken('XRANGELOOSE', `^${src[t.GTLT]}\\s*${src[t.XRANGEPLAINLOOSE]}$`)

// Coercion.
// Extract anything that could conceivably be a part of a valid semver
createToken('COERCEPLAIN', `${'(^|[^\\d])' +
              '(\\d{1,'}${MAX_SAFE_COMPONENT_LENGTH}})` +
              `(?:\\.(\\d{1,${MAX_SAFE_COMPONENT_LENGTH}}))?` +
              `(?:\\.(\\d{1,${MAX_SAFE_COMPONENT_LENGTH}}))?`)
createToken('COERCE', `${src[t.COERCEPLAIN]}(?:$|[^\\d])`)
createToken('COERCEFULL', src[t.COERCEPLAIN] +
              `(?:${src[t.PRERELEASE]})?` +
              `(?:${src[t.BUILD]})?` +
              `(?:$|[^\\d])`)
createToken('COERCERTL', src[t.COERCE], true)
createToken('COERCERTLFULL', src[t.COERCEFULL], true)

// Tilde ranges.
// Meaning is "reasonably at or greater than"
createToken('LONETILDE', '(?:~>?)')

createToken('TILDETRIM', `(\\s*)${src[t.LONETILDE]}\\s+`, true)
exports.tildeTrimReplace = '$1~'

createToken('TILDE', `^${src[t.LONETILDE]}${src[t.XRANGEPLAIN]}$`)
createToken('TILDELOOSE', `^${src[t.LONETILDE]}${src[t.XRANGEPLAINLOOSE]}$`)

// Caret ranges.
// Meaning is "at least and backwards compatible with"
createToken('LONECARET', '(?:\\^)')

createToken('CARETTRIM', `(\\s*)${src[t.LONECARET]}\\s+`, true)
exports.caretTrimReplace = '$1^'

createToken('CARET', `^${src[t.LONECARET]}${src[t.XRANGEPLAIN]}$`)
createToken('CARETLOOSE', `^${src[t.LONECARET]}${src[t.XRANGEPLAINLOOSE]}$`)

// A simple gt/lt/eq thing, or just "" to indicate "any version"
createToken('COMPARATORLOOSE', `^${src[t.GTLT]}\\s*(${src[t.LOOSEPLAIN]})$|^$`)
createToken('COMPARATOR', `^${src[t.GTLT]}\\s*(${src[t.FULLPLAIN]})$|^$`)

// An expression to strip any whitespace between the gtlt and the thing
// it modifies, so that `> 1.2.3` ==> `>1.2.3`
createToken('COMPARATORTRIM', `(\\s*)${src[t.GTLT]
}\\s*(${src[t.LOOSEPLAIN]}|${src[t.XRANGEPLAIN]})`, true)
exports.comparatorTrimReplace = '$1$2$3'

// Something like `1.2.3 - 1.2.4`
// Note that these all use the loose form, because they'll be
// checked against either the strict or loose comparator form
// later.
createToken('HYPHENRANGE', `^\\s*(${src[t.XRANGEPLAIN]})` +
                   `\\s+-\\s+` +
                   `(${src[t.XRANGEPLAIN]})` +
                   `\\s*$`)

createToken('HYPHENRANGELOOSE', `^\\s*(${src[t.XRANGEPLAINLOOSE]})` +
                        `\\s+-\\s+` +
                        `(${src[t.XRANGEPLAINLOOSE]})` +
                        `\\s*$`)

// Star ranges basically just allow anything at all.
createToken('STAR', '(<|>)?=?\\s*\\*')
// >=0.0.0 is like a star
createToken('GTE0', '^\\s*>=\\s*0\\.0\\.0\\s*$')
createToken('GTE0PRE', '^\\s*>=\\s*0\\.0\\.0-0\\s*$')


/***/ }),

/***/ 9737:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {

// @ts-check


// Reproduce safeRe[COMPARATORTRIM] replacement boundaries, not version
// validation. Each end-index finder returns an exclusive end, or its start
// on no match.
// Positions count from zero. An end of 3 means characters 0, 1, and 2 were read;
// range.slice(start, end) gives the matched text, not a converted number.
const {
  MAX_LENGTH,
  MAX_SAFE_BUILD_LENGTH,
  WHITESPACE_CHARACTERS,
} = __nccwpck_require__(5101)

/**
 * Remembers the last two rows of digits so their characters need not be reread.
 * Positions start at -1 until a row has been found.
 *
 * @typedef {object} DigitRunCache
 * @property {number} start The first character of the most recently found row.
 * @property {number} end The position after that row's last character.
 * @property {number} previousStart The first character of the previous row.
 * @property {number} previousEnd The position after the previous row.
 */

// One entry per UTF-16 code unit keeps membership checks constant-time.
const whitespace = new Uint8Array(0x10000)
for (const char of WHITESPACE_CHARACTERS) {
  whitespace[char.charCodeAt(0)] = 1
}

/**
 * Checks whether a character is whitespace, like a space, tab, or newline.
 * Looking past the end of the string returns false.
 *
 * @param {string|undefined} char One character, or undefined past the string's end.
 * @returns {boolean} Whether the character is whitespace.
 * @example isWhitespace(' ') // true
 * @example isWhitespace('1') // false
 */
const isWhitespace = char =>
  char !== undefined && whitespace[char.charCodeAt(0)] === 1

/**
 * Checks for v, =, or whitespace before the version number.
 * These are historical version prefixes, not range operators:
 * < and > are handled separately, as are tilde and caret ranges.
 *
 * @param {string|undefined} char One character to check.
 * @returns {boolean} Whether the character can belong to a version prefix.
 * @example isVersionPrefix('=') // true
 * @example isVersionPrefix('>') // false
 */
const isVersionPrefix = char =>
  char === 'v' ||
  char === '=' ||
  isWhitespace(char)

/**
 * Checks whether a character is one of the digits 0 through 9.
 *
 * @param {string|undefined} char One character to check.
 * @returns {boolean} Whether the character is an ASCII digit.
 * @example isDigit('7') // true
 * @example isDigit('.') // false
 */
const isDigit = char => char !== undefined && char >= '0' && char <= '9'

/**
 * Checks whether a character is an English letter, uppercase or lowercase.
 *
 * @param {string|undefined} char One character to check.
 * @returns {boolean} Whether the character is an ASCII letter.
 * @example isLetter('b') // true
 * @example isLetter('7') // false
 */
const isLetter = char =>
  char !== undefined && (
    (char >= 'a' && char <= 'z') ||
    (char >= 'A' && char <= 'Z')
  )

/**
 * Checks for a letter, digit, or hyphen: the characters allowed inside
 * prerelease and build names such as beta-1.
 *
 * @param {string|undefined} char One character to check.
 * @returns {boolean} Whether the character can be part of an identifier.
 * @example isIdentifierCharacter('-') // true
 * @example isIdentifierCharacter('.') // false; dots separate identifiers
 */
const isIdentifierCharacter = char => isDigit(char) || isLetter(char) || char === '-'

/**
 * Checks whether a version component can begin here: with a digit or
 * a wildcard such as x, X, or *.
 *
 * @param {string|undefined} char One character to check.
 * @returns {boolean} Whether a number or wildcard can start with this character.
 * @example isVersionStart('x') // true
 * @example isVersionStart('v') // false; v belongs to the prefix
 */
const isVersionStart = char =>
  isDigit(char) ||
  char === 'x' ||
  char === 'X' ||
  char === '*'

/**
 * Finds the end of a row of digits, but returns no more than limit digits.
 * Remembers the last two rows so looking at them again does not reread them.
 *
 * @param {string} range The text to read; it is not changed.
 * @param {number} start The position of the first character to check.
 * @param {number} limit The most digit characters the returned match can include.
 * @param {DigitRunCache} digitRuns Shared cache of digit-run positions, updated in place.
 * @returns {number} The position after the matched digits, or start if none match.
 * @example findDigitsEndIndex('123abc', 0, 10, digitRuns) // 3, pointing at a
 * @example findDigitsEndIndex('123abc', 0, 2, digitRuns) // 2, pointing at the unread 3
 */
const findDigitsEndIndex = (range, start, limit, digitRuns) => {
  if (!isDigit(range[start])) {
    return start
  }
  if (start >= digitRuns.start && start < digitRuns.end) {
    return Math.min(start + limit, digitRuns.end)
  }
  if (start >= digitRuns.previousStart && start < digitRuns.previousEnd) {
    return Math.min(start + limit, digitRuns.previousEnd)
  }
  let end = start + 1
  while (isDigit(range[end])) {
    end++
  }
  // A failed full version can rewind from its second run to its first.
  digitRuns.previousStart = digitRuns.start
  digitRuns.previousEnd = digitRuns.end
  digitRuns.start = start
  digitRuns.end = end
  return Math.min(start + limit, end)
}

/**
 * Reads a number using the old regex's length and leading-zero rules.
 * Strict mode reads just the first zero in 012; loose mode can read all three.
 *
 * @param {string} range The text to read; it is not changed.
 * @param {number} start The position where the number should begin.
 * @param {boolean} loose Whether to allow leading zeros.
 * @param {DigitRunCache} digitRuns Shared digit-run cache, updated as needed.
 * @returns {number} The position after the matched digits, not their numeric value.
 * @example findVersionNumberEndIndex('012', 0, false, digitRuns) // 1
 * @example findVersionNumberEndIndex('012', 0, true, digitRuns) // 3
 */
const findVersionNumberEndIndex = (range, start, loose, digitRuns) => {
  if (!loose && range[start] === '0') {
    return start + 1
  }
  // Strict syntax allows an initial nonzero digit plus MAX_LENGTH digits.
  return findDigitsEndIndex(range, start, loose ? MAX_LENGTH : MAX_LENGTH + 1, digitRuns)
}

/**
 * Reads one piece of a prerelease name, such as beta or 1 in beta.1.
 * Tries the letter-or-hyphen form first, then the number-only form.
 *
 * @param {string} range The text to read; it is not changed.
 * @param {number} start The position where the identifier should begin.
 * @param {boolean} loose Whether numeric identifiers may have leading zeros.
 * @param {DigitRunCache} digitRuns Shared digit-run cache, updated as needed.
 * @returns {number} The position after the identifier, or start if none matches.
 * @example findPrereleaseIdentifierEndIndex('beta.1', 0, false, digitRuns) // 4, at the dot
 * @example findPrereleaseIdentifierEndIndex('001beta', 0, false, digitRuns) // 7
 */
const findPrereleaseIdentifierEndIndex = (range, start, loose, digitRuns) => {
  const digitsEnd = findDigitsEndIndex(range, start, MAX_LENGTH, digitRuns)
  // The legacy regex tries a nonnumeric identifier before a numeric one.
  if (isLetter(range[digitsEnd]) || range[digitsEnd] === '-') {
    let end = digitsEnd + 1
    const limit = end + MAX_SAFE_BUILD_LENGTH
    while (end < limit && isIdentifierCharacter(range[end])) {
      end++
    }
    return end
  }
  return findVersionNumberEndIndex(range, start, loose, digitRuns)
}

/**
 * Reads a prerelease suffix such as -beta.1, one dot-separated piece at a time.
 * Loose mode also allows the name without its opening hyphen.
 *
 * @param {string} range The text to read; it is not changed.
 * @param {number} start The position where the suffix should begin, including -.
 * @param {boolean} loose Whether the opening hyphen is optional and zeros allowed.
 * @param {DigitRunCache} digitRuns Shared digit-run cache, updated as needed.
 * @returns {number} The position after the matched suffix, or start if absent.
 * @example findPrereleaseEndIndex('-beta.1+sha', 0, false, digitRuns) // 7, at the plus
 * @example findPrereleaseEndIndex('beta', 0, false, digitRuns) // 0; no opening hyphen
 */
const findPrereleaseEndIndex = (range, start, loose, digitRuns) => {
  const hyphen = range[start] === '-'
  if (!loose && !hyphen) {
    return start
  }
  const identifierStart = start + (hyphen ? 1 : 0)
  let end = findPrereleaseIdentifierEndIndex(range, identifierStart, loose, digitRuns)
  if (end === identifierStart) {
    if (!loose || !hyphen) {
      return start
    }
    // In loose syntax, a lone hyphen can itself be the identifier.
    end = findPrereleaseIdentifierEndIndex(range, start, loose, digitRuns)
  }
  while (range[end] === '.') {
    const next = findPrereleaseIdentifierEndIndex(range, end + 1, loose, digitRuns)
    if (next === end + 1) {
      break
    }
    end = next
  }
  return end
}

/**
 * Reads one build-name piece, such as sha or 123 in +sha.123.
 * Stops at a disallowed character or the old regex's length limit.
 *
 * @param {string} range The text to read; it is not changed.
 * @param {number} start The position where the identifier should begin.
 * @returns {number} The position after the identifier, or start if none matches.
 * @example findBuildIdentifierEndIndex('sha.123', 0) // 3, at the dot
 * @example findBuildIdentifierEndIndex('001', 0) // 3; leading zeros are allowed
 */
const findBuildIdentifierEndIndex = (range, start) => {
  let end = start
  while (end - start < MAX_SAFE_BUILD_LENGTH && isIdentifierCharacter(range[end])) {
    end++
  }
  return end
}

/**
 * Reads optional build metadata such as +sha.123.
 * Leaves the position unchanged if there is no plus sign followed by a name.
 *
 * @param {string} range The text to read; it is not changed.
 * @param {number} start The position where the opening + should be.
 * @returns {number} The position after the matched metadata, or start if absent.
 * @example findBuildEndIndex('+sha.123 <2', 0) // 8, at the space
 * @example findBuildEndIndex('+', 0) // 0; a plus sign alone is not a match
 */
const findBuildEndIndex = (range, start) => {
  if (range[start] !== '+') {
    return start
  }
  let end = findBuildIdentifierEndIndex(range, start + 1)
  if (end === start + 1) {
    return start
  }
  while (range[end] === '.') {
    const next = findBuildIdentifierEndIndex(range, end + 1)
    if (next === end + 1) {
      break
    }
    end = next
  }
  return end
}

/**
 * Reads three numbers separated by dots, then any prerelease and build suffixes.
 * Uses loose rules, so forms such as 01.02.03beta can match here.
 *
 * @param {string} range The text to read; it is not changed.
 * @param {number} start The position of the first number, after any prefix.
 * @param {DigitRunCache} digitRuns Shared digit-run cache, updated as needed.
 * @returns {number} The position after the version match, or start if none matches.
 * @example findLooseFullVersionEndIndex('1.2.3-beta+sha <2', 0, digitRuns) // 14
 * @example findLooseFullVersionEndIndex('1.2', 0, digitRuns) // 0; needs three numbers
 */
const findLooseFullVersionEndIndex = (range, start, digitRuns) => {
  let end = start
  for (let component = 0; component < 3; component++) {
    const next = findVersionNumberEndIndex(range, end, true, digitRuns)
    if (next === end) {
      return start
    }
    end = next
    if (component < 2) {
      if (range[end] !== '.') {
        return start
      }
      end++
    }
  }
  const prereleaseEnd = findPrereleaseEndIndex(range, end, true, digitRuns)
  return findBuildEndIndex(range, prereleaseEnd)
}

/**
 * Reads one component of a partial or wildcard version, such as 2 or x in 2.x.
 * Numbers use strict leading-zero rules; wildcards take up one character.
 *
 * @param {string} range The text to read; it is not changed.
 * @param {number} start The position where the component should begin.
 * @param {DigitRunCache} digitRuns Shared digit-run cache, updated as needed.
 * @returns {number} The position after the component, or start if none matches.
 * @example findPartialVersionComponentEndIndex('2.x', 0, digitRuns) // 1, at the dot
 * @example findPartialVersionComponentEndIndex('2.x', 2, digitRuns) // 3, after x
 */
const findPartialVersionComponentEndIndex = (range, start, digitRuns) => {
  if (isDigit(range[start])) {
    return findVersionNumberEndIndex(range, start, false, digitRuns)
  }
  return isVersionStart(range[start]) ? start + 1 : start
}

/**
 * Reads up to three components, allowing forms such as 1, 1.2, or 1.x.
 * After the third component, also reads any strict prerelease and build suffixes.
 *
 * @param {string} range The text to read; it is not changed.
 * @param {number} start The position of a number or wildcard, after any prefix.
 * @param {DigitRunCache} digitRuns Shared digit-run cache, updated as needed.
 * @returns {number} The position after the matched version text.
 * @example findPartialVersionEndIndex('1.x <2', 0, digitRuns) // 3, at the space
 * @example findPartialVersionEndIndex('1.', 0, digitRuns) // 1; the trailing dot is unread
 */
const findPartialVersionEndIndex = (range, start, digitRuns) => {
  let end = findPartialVersionComponentEndIndex(range, start, digitRuns)
  for (let component = 0; component < 2; component++) {
    if (range[end] !== '.') {
      return end
    }
    const next = findPartialVersionComponentEndIndex(range, end + 1, digitRuns)
    if (next === end + 1) {
      return end
    }
    end = next
  }
  const prereleaseEnd = findPrereleaseEndIndex(range, end, false, digitRuns)
  return findBuildEndIndex(range, prereleaseEnd)
}

/**
 * Finds where a version match ends, without deciding whether the range is valid.
 * Tries a loose full version first, then a partial or wildcard version, just
 * like the old regex's LOOSEPLAIN and XRANGEPLAIN alternatives.
 *
 * @param {string} range The text to read; it is not changed.
 * @param {number} start The position of a number or wildcard, after any prefix.
 * @param {DigitRunCache} digitRuns Shared digit-run cache, updated as needed.
 * @returns {number} The position where scanning the next candidate can resume.
 * @example findVersionEndIndex('1.2.3 <2', 0, digitRuns) // 5, at the space
 * @example findVersionEndIndex('1.x <2', 0, digitRuns) // 3, at the space
 */
const findVersionEndIndex = (range, start, digitRuns) => {
  const fullVersionEnd = findLooseFullVersionEndIndex(range, start, digitRuns)
  return fullVersionEnd !== start
    ? fullVersionEnd
    : findPartialVersionEndIndex(range, start, digitRuns)
}

/**
 * Finds the one whitespace character the old replacement would remove.
 * Keeps leading whitespace, skips an optional operator, and checks immediately
 * after it. Returns -1 if there is nothing to remove.
 *
 * @param {string} range The text containing a candidate already found by the caller.
 * @param {number} matchStart The candidate's position, including leading whitespace.
 * @returns {number} The position of the removable whitespace, or -1 if absent.
 * @example findRemovableWhitespaceIndex(' > 1', 0) // 2; keep the space at position 0
 * @example findRemovableWhitespaceIndex('>1', 0) // -1
 */
const findRemovableWhitespaceIndex = (range, matchStart) => {
  let position = matchStart
  if (isWhitespace(range[position])) {
    position++
  }
  if (range[position] === '<' || range[position] === '>') {
    position++
  }
  if (range[position] === '=') {
    position++
  }
  return isWhitespace(range[position]) ? position : -1
}

/**
 * Joins an operator to its version, turning > 1.2.3 into >1.2.3.
 * Copies everything else according to the old regex's matching rules.
 * Moves forward through prefixes and whole versions to avoid repeatedly
 * searching the same characters on long inputs.
 *
 * @param {string} range The range text to process; the original string is unchanged.
 * @returns {string} The range with matched operator whitespace removed.
 * @example trimComparatorWhitespace('> 1.2.3 < 2') // '>1.2.3 <2'
 * @example trimComparatorWhitespace('> invalid') // '> invalid'
 */
const trimComparatorWhitespace = range => {
  let result = ''
  let copyFrom = 0
  let cursor = 0
  const digitRuns = { start: -1, end: -1, previousStart: -1, previousEnd: -1 }

  while (cursor < range.length) {
    const matchStart = cursor
    if (range[cursor] === '<' || range[cursor] === '>') {
      cursor++
    } else if (!isVersionPrefix(range[cursor]) && !isVersionStart(range[cursor])) {
      cursor++
      continue
    }

    // Consume a v/=/whitespace run once, even when no version follows it.
    while (cursor < range.length && isVersionPrefix(range[cursor])) {
      cursor++
    }
    if (!isVersionStart(range[cursor])) {
      continue
    }

    const whitespacePosition = findRemovableWhitespaceIndex(range, matchStart)
    if (whitespacePosition !== -1) {
      result += range.slice(copyFrom, whitespacePosition)
      copyFrom = whitespacePosition + 1
    }

    // Skip the entire match, so a prerelease's trailing v cannot be
    // reconsidered as the prefix of another version.
    cursor = findVersionEndIndex(range, cursor, digitRuns)
  }

  return result + range.slice(copyFrom)
}

module.exports = trimComparatorWhitespace


/***/ }),

/***/ 2276:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



// Determine if version is greater than all the versions possible in the range.
const outside = __nccwpck_require__(280)
const gtr = (version, range, options) => outside(version, range, '>', options)
module.exports = gtr


/***/ }),

/***/ 3465:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



const Range = __nccwpck_require__(6782)
const intersects = (r1, r2, options) => {
  r1 = new Range(r1, options)
  r2 = new Range(r2, options)
  return r1.intersects(r2, options)
}
module.exports = intersects


/***/ }),

/***/ 5213:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



const outside = __nccwpck_require__(280)
// Determine if version is less than all the versions possible in the range
const ltr = (version, range, options) => outside(version, range, '<', options)
module.exports = ltr


/***/ }),

/***/ 3193:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



const SemVer = __nccwpck_require__(7163)
const Range = __nccwpck_require__(6782)

const maxSatisfying = (versions, range, options) => {
  let max = null
  let maxSV = null
  let rangeObj = null
  try {
    rangeObj = new Range(range, options)
  } catch (er) {
    return null
  }
  versions.forEach((v) => {
    if (rangeObj.test(v)) {
      // satisfies(v, range, options)
      if (!max || maxSV.compare(v) === -1) {
        // compare(max, v, true)
        max = v
        maxSV = new SemVer(max, options)
      }
    }
  })
  return max
}
module.exports = maxSatisfying


/***/ }),

/***/ 8595:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



const SemVer = __nccwpck_require__(7163)
const Range = __nccwpck_require__(6782)
const minSatisfying = (versions, range, options) => {
  let min = null
  let minSV = null
  let rangeObj = null
  try {
    rangeObj = new Range(range, options)
  } catch (er) {
    return null
  }
  versions.forEach((v) => {
    if (rangeObj.test(v)) {
      // satisfies(v, range, options)
      if (!min || minSV.compare(v) === 1) {
        // compare(min, v, true)
        min = v
        minSV = new SemVer(min, options)
      }
    }
  })
  return min
}
module.exports = minSatisfying


/***/ }),

/***/ 1866:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



const SemVer = __nccwpck_require__(7163)
const Range = __nccwpck_require__(6782)
const gt = __nccwpck_require__(6599)

const minVersion = (range, loose) => {
  range = new Range(range, loose)

  let minver = new SemVer('0.0.0')
  if (range.test(minver)) {
    return minver
  }

  minver = new SemVer('0.0.0-0')
  if (range.test(minver)) {
    return minver
  }

  minver = null
  for (let i = 0; i < range.set.length; ++i) {
    const comparators = range.set[i]

    let setMin = null
    comparators.forEach((comparator) => {
      // Clone to avoid manipulating the comparator's semver object.
      const compver = new SemVer(comparator.semver.version)
      switch (comparator.operator) {
        case '>':
          if (compver.prerelease.length === 0) {
            compver.patch++
          } else {
            compver.prerelease.push(0)
          }
          compver.raw = compver.format()
          /* fallthrough */
        case '':
        case '>=':
          if (!setMin || gt(compver, setMin)) {
            setMin = compver
          }
          break
        case '<':
        case '<=':
          /* Ignore maximum versions */
          break
        /* istanbul ignore next */
        default:
          throw new Error(`Unexpected operation: ${comparator.operator}`)
      }
    })
    if (setMin && (!minver || gt(minver, setMin))) {
      minver = setMin
    }
  }

  if (minver && range.test(minver)) {
    return minver
  }

  return null
}
module.exports = minVersion


/***/ }),

/***/ 280:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



const SemVer = __nccwpck_require__(7163)
const Comparator = __nccwpck_require__(9379)
const { ANY } = Comparator
const Range = __nccwpck_require__(6782)
const satisfies = __nccwpck_require__(8011)
const gt = __nccwpck_require__(6599)
const lt = __nccwpck_require__(3872)
const lte = __nccwpck_require__(6717)
const gte = __nccwpck_require__(1236)

const outside = (version, range, hilo, options) => {
  version = new SemVer(version, options)
  range = new Range(range, options)

  let gtfn, ltefn, ltfn, comp, ecomp
  switch (hilo) {
    case '>':
      gtfn = gt
      ltefn = lte
      ltfn = lt
      comp = '>'
      ecomp = '>='
      break
    case '<':
      gtfn = lt
      ltefn = gte
      ltfn = gt
      comp = '<'
      ecomp = '<='
      break
    default:
      throw new TypeError('Must provide a hilo val of "<" or ">"')
  }

  // If it satisfies the range it is not outside
  if (satisfies(version, range, options)) {
    return false
  }

  // From now on, variable terms are as if we're in "gtr" mode.
  // but note that everything is flipped for the "ltr" function.

  for (let i = 0; i < range.set.length; ++i) {
    const comparators = range.set[i]

    let high = null
    let low = null

    comparators.forEach((comparator) => {
      if (comparator.semver === ANY) {
        comparator = new Comparator('>=0.0.0')
      }
      high = high || comparator
      low = low || comparator
      if (gtfn(comparator.semver, high.semver, options)) {
        high = comparator
      } else if (ltfn(comparator.semver, low.semver, options)) {
        low = comparator
      }
    })

    // If the edge version comparator has a operator then our version
    // isn't outside it
    if (high.operator === comp || high.operator === ecomp) {
      return false
    }

    // If the lowest version comparator has an operator and our version
    // is less than it then it isn't higher than the range
    if ((!low.operator || low.operator === comp) &&
        ltefn(version, low.semver)) {
      return false
    } else if (low.operator === ecomp && ltfn(version, low.semver)) {
      return false
    }
  }
  return true
}

module.exports = outside


/***/ }),

/***/ 2028:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



// given a set of versions and a range, create a "simplified" range
// that includes the same versions that the original range does
// If the original range is shorter than the simplified one, return that.
const satisfies = __nccwpck_require__(8011)
const compare = __nccwpck_require__(8469)
module.exports = (versions, range, options) => {
  const set = []
  let first = null
  let prev = null
  const v = versions.sort((a, b) => compare(a, b, options))
  for (const version of v) {
    const included = satisfies(version, range, options)
    if (included) {
      prev = version
      if (!first) {
        first = version
      }
    } else {
      if (prev) {
        set.push([first, prev])
      }
      prev = null
      first = null
    }
  }
  if (first) {
    set.push([first, null])
  }

  const ranges = []
  for (const [min, max] of set) {
    if (min === max) {
      ranges.push(min)
    } else if (!max && min === v[0]) {
      ranges.push('*')
    } else if (!max) {
      ranges.push(`>=${min}`)
    } else if (min === v[0]) {
      ranges.push(`<=${max}`)
    } else {
      ranges.push(`${min} - ${max}`)
    }
  }
  const simplified = ranges.join(' || ')
  const original = typeof range.raw === 'string' ? range.raw : String(range)
  return simplified.length < original.length ? simplified : range
}


/***/ }),

/***/ 1489:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



const Range = __nccwpck_require__(6782)
const Comparator = __nccwpck_require__(9379)
const { ANY } = Comparator
const satisfies = __nccwpck_require__(8011)
const compare = __nccwpck_require__(8469)

// Complex range `r1 || r2 || ...` is a subset of `R1 || R2 || ...` iff:
// - Every simple range `r1, r2, ...` is a null set, OR
// - Every simple range `r1, r2, ...` which is not a null set is a subset of
//   some `R1, R2, ...`
//
// Simple range `c1 c2 ...` is a subset of simple range `C1 C2 ...` iff:
// - If c is only the ANY comparator
//   - If C is only the ANY comparator, return true
//   - Else if in prerelease mode, return false
//   - else replace c with `[>=0.0.0]`
// - If C is only the ANY comparator
//   - if in prerelease mode, return true
//   - else replace C with `[>=0.0.0]`
// - Let EQ be the set of = comparators in c
// - If EQ is more than one, return true (null set)
// - Let GT be the highest > or >= comparator in c
// - Let LT be the lowest < or <= comparator in c
// - If GT and LT, and GT.semver > LT.semver, return true (null set)
// - If any C is a = range, and GT or LT are set, return false
// - If EQ
//   - If GT, and EQ does not satisfy GT, return true (null set)
//   - If LT, and EQ does not satisfy LT, return true (null set)
//   - If EQ satisfies every C, return true
//   - Else return false
// - If GT
//   - If GT.semver is lower than any > or >= comp in C, return false
//   - If GT is >=, and GT.semver does not satisfy every C, return false
//   - If GT.semver has a prerelease, and not in prerelease mode
//     - If no C has a prerelease and the GT.semver tuple, return false
// - If LT
//   - If LT.semver is greater than any < or <= comp in C, return false
//   - If LT is <=, and LT.semver does not satisfy every C, return false
//   - If LT.semver has a prerelease, and not in prerelease mode
//     - If no C has a prerelease and the LT.semver tuple, return false
// - Else return true

const subset = (sub, dom, options = {}) => {
  if (sub === dom) {
    return true
  }

  sub = new Range(sub, options)
  dom = new Range(dom, options)
  let sawNonNull = false

  OUTER: for (const simpleSub of sub.set) {
    for (const simpleDom of dom.set) {
      const isSub = simpleSubset(simpleSub, simpleDom, options)
      sawNonNull = sawNonNull || isSub !== null
      if (isSub) {
        continue OUTER
      }
    }
    // the null set is a subset of everything, but null simple ranges in
    // a complex range should be ignored.  so if we saw a non-null range,
    // then we know this isn't a subset, but if EVERY simple range was null,
    // then it is a subset.
    if (sawNonNull) {
      return false
    }
  }
  return true
}

const minimumVersionWithPreRelease = [new Comparator('>=0.0.0-0')]
const minimumVersion = [new Comparator('>=0.0.0')]

const simpleSubset = (sub, dom, options) => {
  if (sub === dom) {
    return true
  }

  if (sub.length === 1 && sub[0].semver === ANY) {
    if (dom.length === 1 && dom[0].semver === ANY) {
      return true
    } else if (options.includePrerelease) {
      sub = minimumVersionWithPreRelease
    } else {
      sub = minimumVersion
    }
  }

  if (dom.length === 1 && dom[0].semver === ANY) {
    if (options.includePrerelease) {
      return true
    } else {
      dom = minimumVersion
    }
  }

  const eqSet = new Set()
  let gt, lt
  for (const c of sub) {
    if (c.operator === '>' || c.operator === '>=') {
      gt = higherGT(gt, c, options)
    } else if (c.operator === '<' || c.operator === '<=') {
      lt = lowerLT(lt, c, options)
    } else {
      eqSet.add(c.semver)
    }
  }

  if (eqSet.size > 1) {
    return null
  }

  let gtltComp
  if (gt && lt) {
    gtltComp = compare(gt.semver, lt.semver, options)
    if (gtltComp > 0) {
      return null
    } else if (gtltComp === 0 && (gt.operator !== '>=' || lt.operator !== '<=')) {
      return null
    }
  }

  // will iterate one or zero times
  for (const eq of eqSet) {
    if (gt && !satisfies(eq, String(gt), options)) {
      return null
    }

    if (lt && !satisfies(eq, String(lt), options)) {
      return null
    }

    for (const c of dom) {
      if (!satisfies(eq, String(c), options)) {
        return false
      }
    }

    return true
  }

  let higher, lower
  let hasDomLT, hasDomGT
  // if the subset has a prerelease, we need a comparator in the superset
  // with the same tuple and a prerelease, or it's not a subset
  let needDomLTPre = lt &&
    !options.includePrerelease &&
    lt.semver.prerelease.length ? lt.semver : false
  let needDomGTPre = gt &&
    !options.includePrerelease &&
    gt.semver.prerelease.length ? gt.semver : false
  // exception: <1.2.3-0 is the same as <1.2.3
  if (needDomLTPre && needDomLTPre.prerelease.length === 1 &&
      lt.operator === '<' && needDomLTPre.prerelease[0] === 0) {
    needDomLTPre = false
  }

  for (const c of dom) {
    hasDomGT = hasDomGT || c.operator === '>' || c.operator === '>='
    hasDomLT = hasDomLT || c.operator === '<' || c.operator === '<='
    if (gt) {
      if (needDomGTPre) {
        if (c.semver.prerelease && c.semver.prerelease.length &&
            c.semver.major === needDomGTPre.major &&
            c.semver.minor === needDomGTPre.minor &&
            c.semver.patch === needDomGTPre.patch) {
          needDomGTPre = false
        }
      }
      if (c.operator === '>' || c.operator === '>=') {
        higher = higherGT(gt, c, options)
        if (higher === c && higher !== gt) {
          return false
        }
      } else if (gt.operator === '>=' && !c.test(gt.semver)) {
        return false
      }
    }
    if (lt) {
      if (needDomLTPre) {
        if (c.semver.prerelease && c.semver.prerelease.length &&
            c.semver.major === needDomLTPre.major &&
            c.semver.minor === needDomLTPre.minor &&
            c.semver.patch === needDomLTPre.patch) {
          needDomLTPre = false
        }
      }
      if (c.operator === '<' || c.operator === '<=') {
        lower = lowerLT(lt, c, options)
        if (lower === c && lower !== lt) {
          return false
        }
      } else if (lt.operator === '<=' && !c.test(lt.semver)) {
        return false
      }
    }
    if (!c.operator && (lt || gt) && gtltComp !== 0) {
      return false
    }
  }

  // if there was a < or >, and nothing in the dom, then must be false
  // UNLESS it was limited by another range in the other direction.
  // Eg, >1.0.0 <1.0.1 is still a subset of <2.0.0
  if (gt && hasDomLT && !lt && gtltComp !== 0) {
    return false
  }

  if (lt && hasDomGT && !gt && gtltComp !== 0) {
    return false
  }

  // we needed a prerelease range in a specific tuple, but didn't get one
  // then this isn't a subset.  eg >=1.2.3-pre is not a subset of >=1.0.0,
  // because it includes prereleases in the 1.2.3 tuple
  if (needDomGTPre || needDomLTPre) {
    return false
  }

  return true
}

// >=1.2.3 is lower than >1.2.3
const higherGT = (a, b, options) => {
  if (!a) {
    return b
  }
  const comp = compare(a.semver, b.semver, options)
  return comp > 0 ? a
    : comp < 0 ? b
    : b.operator === '>' && a.operator === '>=' ? b
    : a
}

// <=1.2.3 is higher than <1.2.3
const lowerLT = (a, b, options) => {
  if (!a) {
    return b
  }
  const comp = compare(a.semver, b.semver, options)
  return comp < 0 ? a
    : comp > 0 ? b
    : b.operator === '<' && a.operator === '<=' ? b
    : a
}

module.exports = subset


/***/ }),

/***/ 4750:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



const Range = __nccwpck_require__(6782)

// Mostly just for testing and legacy API reasons
const toComparators = (range, options) =>
  new Range(range, options).set
    .map(comp => comp.map(c => c.value).join(' ').trim().split(' '))

module.exports = toComparators


/***/ }),

/***/ 4737:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



const Range = __nccwpck_require__(6782)
const validRange = (range, options) => {
  try {
    // Return '*' instead of '' so that truthiness works.
    // This will throw if it's invalid anyway
    return new Range(range, options).range || '*'
  } catch (er) {
    return null
  }
}
module.exports = validRange


/***/ }),

/***/ 486:
/***/ ((module, __unused_webpack___webpack_exports__, __nccwpck_require__) => {

__nccwpck_require__.a(module, async (__webpack_handle_async_dependencies__, __webpack_async_result__) => { try {
/* harmony import */ var _run_js__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(6694);
// The command line's entry: the action's pipeline outside GitHub (see cli-main.ts). No logic here.

const interrupt = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM']) {
    // The first signal cleans up; a second one ends the process at once.
    process.once(signal, () => interrupt.abort());
}
const code = await (0,_run_js__WEBPACK_IMPORTED_MODULE_0__/* .runCli */ .ak)(process.argv.slice(2), {
    stdout: process.stdout,
    stderr: process.stderr,
    isTTY: Boolean(process.stdout.isTTY) && !process.env.NO_COLOR,
    env: process.env,
    cwd: process.cwd(),
    signal: interrupt.signal
});
// An interrupted run may leave its build process going; do not wait for it.
if (interrupt.signal.aborted)
    process.exit(code);
process.exitCode = code;

__webpack_async_result__();
} catch(e) { __webpack_async_result__(e); } }, 1);

/***/ }),

/***/ 6694:
/***/ ((__unused_webpack_module, __webpack_exports__, __nccwpck_require__) => {


// EXPORTS
__nccwpck_require__.d(__webpack_exports__, {
  ak: () => (/* binding */ runCli)
});

// UNUSED EXPORTS: COMMAND, UsageError, acceptedFlags, parseCliArgs, usage

// EXTERNAL MODULE: external "node:fs/promises"
var promises_ = __nccwpck_require__(1455);
// EXTERNAL MODULE: external "node:util"
var external_node_util_ = __nccwpck_require__(7975);
;// CONCATENATED MODULE: ./src/inputs/specs.ts
const INPUTS = [
    {
        name: 'mode',
        kind: 'string',
        default: 'build',
        description: "build: build every platform and publish the index (one job). platform: one leg of a matrix, pushed by digest for a later merge. merge: publish the legs' digests as one index."
    },
    {
        name: 'images',
        kind: 'list',
        default: '',
        description: 'Image names, one a line or comma separated (e.g. ghcr.io/owner/app). Lower-cased. The first one also holds the registry cache and the by-digest push.'
    },
    {
        name: 'platforms',
        kind: 'list',
        default: '',
        description: "Target platforms, comma or newline separated (linux/amd64, linux/arm64, linux/arm/v7, linux/riscv64, \u2026). Empty: linux/amd64,linux/arm64; with load, the runner's own platform."
    },
    {
        name: 'tags',
        kind: 'list',
        default: '',
        description: "Tag rules, one a line, in docker/metadata-action's syntax (type=semver,pattern={{version}}, type=ref,event=branch, type=sha, type=raw,value=…). Empty: branch, pull request, {{version}}, {{major}}.{{minor}}, {{major}} (not for 0.x) and sha."
    },
    {
        name: 'flavor',
        kind: 'list',
        default: '',
        description: 'Global tag options: latest=auto|true|false, prefix=, suffix= (each with ,onlatest=true|false).'
    },
    {
        name: 'labels',
        kind: 'list',
        default: '',
        description: 'Extra image labels, one key=value a line; they override the computed OCI labels.'
    },
    {
        name: 'annotations',
        kind: 'list',
        default: '',
        description: 'Extra annotations, one a line, in buildx form ([index:|manifest:]key=value); they override the computed ones.'
    },
    {
        name: 'metadata-source',
        kind: 'string',
        default: 'auto',
        description: 'Where the commit, ref and repository come from: workflow (the GitHub event), git (the local repository, for runs outside GitHub) or auto.'
    },
    {
        name: 'context',
        kind: 'string',
        default: '.',
        description: 'Build context: a path (relative to the workspace) or a git URL.'
    },
    {
        name: 'file',
        kind: 'string',
        default: '',
        description: 'Path to the Dockerfile. Default: Dockerfile in the context.'
    },
    { name: 'target', kind: 'string', default: '', description: 'Build stage to stop at.' },
    { name: 'build-args', kind: 'list', default: '', description: 'Build arguments, one KEY=value a line.' },
    {
        name: 'build-contexts',
        kind: 'list',
        default: '',
        description: 'Additional named build contexts, one name=path|url a line.'
    },
    {
        name: 'secrets',
        kind: 'list',
        default: '',
        description: 'Build secrets, one id=value a line. Written to a private file and passed by path: the value never reaches argv or the log.'
    },
    {
        name: 'secret-envs',
        kind: 'list',
        default: '',
        description: 'Build secrets from environment variables, id=ENV_NAME, comma or newline separated.'
    },
    { name: 'secret-files', kind: 'list', default: '', description: 'Build secrets from files, one id=path a line.' },
    {
        name: 'ssh',
        kind: 'list',
        default: '',
        description: 'SSH agent sockets or keys to expose to the build, one default|id=path a line.'
    },
    { name: 'network', kind: 'string', default: '', description: 'Network mode for RUN steps (default, none, host).' },
    {
        name: 'add-hosts',
        kind: 'list',
        default: '',
        description: 'Extra host:ip entries for RUN steps, comma or newline separated.'
    },
    { name: 'shm-size', kind: 'string', default: '', description: 'Size of /dev/shm for RUN steps (e.g. 2g).' },
    { name: 'ulimit', kind: 'list', default: '', description: 'Ulimits for RUN steps, one type=soft:hard a line.' },
    {
        name: 'provenance',
        kind: 'string',
        default: '',
        description: "Provenance attestation: false, true, mode=min, mode=max, or buildx's other options (e.g. mode=max,builder-id=\u2026). Empty: mode=min, or false with load. Attestations add an unknown/unknown entry to the index; false gives a plain index."
    },
    { name: 'sbom', kind: 'string', default: 'false', description: 'SBOM attestation: true or false.' },
    {
        name: 'push',
        kind: 'boolean',
        default: 'true',
        description: 'Push the image and its tags. Platform images go first, then the index, tags last.'
    },
    {
        name: 'load',
        kind: 'boolean',
        default: 'false',
        description: "Load the single-platform result into the local Docker image store (the runner's platform unless platforms names one); with push, it is pushed as well."
    },
    { name: 'no-cache', kind: 'boolean', default: 'false', description: 'Build without any cache.' },
    {
        name: 'no-cache-filters',
        kind: 'list',
        default: '',
        description: 'Stages to build without cache, comma separated.'
    },
    { name: 'pull', kind: 'boolean', default: 'false', description: 'Always pull newer versions of base images.' },
    {
        name: 'cache',
        kind: 'string',
        default: 'auto',
        description: 'Registry layer cache at <first image>:<cache-tag>, mode=max: true (read and written), false, or auto (read whenever there is an image; written when pushing, except from a pull request of a fork). A cache that cannot be read or written warns and does not fail the build.'
    },
    { name: 'cache-tag', kind: 'string', default: 'buildcache', description: 'Tag of the registry cache ref.' },
    {
        name: 'cache-from',
        kind: 'list',
        default: '',
        description: 'Explicit cache sources in buildx form, one a line; replaces the registry cache.'
    },
    {
        name: 'cache-to',
        kind: 'list',
        default: '',
        description: 'Explicit cache destinations in buildx form, one a line; replaces the registry cache.'
    },
    {
        name: 'qemu',
        kind: 'string',
        default: 'auto',
        description: "QEMU handlers for non-native platforms: auto (binfmt image when a Docker engine runs, else the host's qemu-user-static), binfmt-image, host, or false. Only missing handlers are installed; nothing is done when every platform is native."
    },
    {
        name: 'qemu-image',
        kind: 'string',
        default: 'tonistiigi/binfmt:qemu-v9.2.2-52',
        description: 'binfmt installer image, pinned to a known-good QEMU; point it at a mirror to avoid Docker Hub limits.'
    },
    {
        name: 'buildx-version',
        kind: 'string',
        default: '',
        description: "buildx release to install (e.g. v0.36.1), verified against the release's checksums and cached. Empty: use the installed buildx."
    },
    {
        name: 'buildx-mirror',
        kind: 'string',
        default: 'https://github.com/docker/buildx/releases/download',
        description: 'Base address of buildx release downloads.'
    },
    {
        name: 'builder',
        kind: 'string',
        default: '',
        description: 'Use this existing builder instead of creating one (it is not removed afterwards).'
    },
    {
        name: 'driver',
        kind: 'string',
        default: 'docker-container',
        description: 'Builder driver: docker-container, remote (with endpoint) or docker.'
    },
    {
        name: 'driver-opts',
        kind: 'list',
        default: '',
        description: 'Driver options, one key=value a line (e.g. network=host, image=…).'
    },
    {
        name: 'endpoint',
        kind: 'string',
        default: '',
        description: 'BuildKit address for the remote driver (tcp://host:1234, unix:///run/buildkit/buildkitd.sock).'
    },
    {
        name: 'buildkit-image',
        kind: 'string',
        default: 'moby/buildkit:v0.32.2',
        description: 'BuildKit image for the docker-container driver, pinned; point it at a mirror to avoid Docker Hub limits.'
    },
    { name: 'buildkitd-config', kind: 'string', default: '', description: 'Path to a buildkitd.toml for the builder.' },
    {
        name: 'buildkitd-config-inline',
        kind: 'list',
        default: '',
        description: 'buildkitd.toml content for the builder.'
    },
    {
        name: 'buildkitd-flags',
        kind: 'string',
        default: '',
        description: 'Extra buildkitd flags (docker-container driver).'
    },
    {
        name: 'retries',
        kind: 'string',
        default: '3',
        description: 'Attempts after the first for steps that are safe to repeat (pulls, downloads, bootstrap, push, imagetools), on transient registry faults only.'
    },
    {
        name: 'stall-timeout',
        kind: 'string',
        default: '600',
        description: 'Seconds a build or push may print nothing before it is cancelled and retried (0: never).'
    },
    {
        name: 'dry-run',
        kind: 'boolean',
        default: 'false',
        description: 'Resolve platforms, tags, labels, cache refs and the exact commands, print them and set the outputs; build, push and install nothing.'
    },
    {
        name: 'digests',
        kind: 'list',
        default: '',
        description: 'merge mode: explicit image@digest references of the legs, overriding discovery.'
    },
    {
        name: 'run-id',
        kind: 'string',
        default: '',
        description: "Groups one run's matrix legs and its merge, so concurrent runs never mix. Default: GITHUB_RUN_ID (set it when running legs outside GitHub)."
    }
];
/** Input name → its default, for the inputs that have one. */
const DEFAULTS = Object.fromEntries(INPUTS.filter((input) => input.default !== '').map((input) => [input.name, input.default]));

// EXTERNAL MODULE: external "node:fs"
var external_node_fs_ = __nccwpck_require__(3024);
// EXTERNAL MODULE: external "node:path"
var external_node_path_ = __nccwpck_require__(6760);
var external_node_path_default = /*#__PURE__*/__nccwpck_require__.n(external_node_path_);
// EXTERNAL MODULE: ./src/plan/errors.ts
var errors = __nccwpck_require__(9516);
;// CONCATENATED MODULE: ./node_modules/csv-parse/lib/api/CsvError.js
class CsvError extends Error {
  constructor(code, message, options, ...contexts) {
    if (Array.isArray(message)) message = message.join(" ").trim();
    super(message);
    if (Error.captureStackTrace !== undefined) {
      Error.captureStackTrace(this, CsvError);
    }
    this.code = code;
    for (const context of contexts) {
      for (const key in context) {
        const value = context[key];
        this[key] = Buffer.isBuffer(value)
          ? value.toString(options.encoding)
          : value == null
            ? value
            : JSON.parse(JSON.stringify(value));
      }
    }
  }
}



;// CONCATENATED MODULE: ./node_modules/csv-parse/lib/utils/is_object.js
const is_object = function (obj) {
  return typeof obj === "object" && obj !== null && !Array.isArray(obj);
};



;// CONCATENATED MODULE: ./node_modules/csv-parse/lib/api/normalize_columns_array.js



const normalize_columns_array = function (columns) {
  const normalizedColumns = [];
  for (let i = 0, l = columns.length; i < l; i++) {
    const column = columns[i];
    if (column === undefined || column === null || column === false) {
      normalizedColumns[i] = { disabled: true };
    } else if (typeof column === "string" || typeof column === "number") {
      normalizedColumns[i] = { name: `${column}` };
    } else if (is_object(column)) {
      if (typeof column.name !== "string") {
        throw new CsvError("CSV_OPTION_COLUMNS_MISSING_NAME", [
          "Option columns missing name:",
          `property "name" is required at position ${i}`,
          "when column is an object literal",
        ]);
      }
      normalizedColumns[i] = column;
    } else {
      throw new CsvError("CSV_INVALID_COLUMN_DEFINITION", [
        "Invalid column definition:",
        "expect a string or a literal object,",
        `got ${JSON.stringify(column)} at position ${i}`,
      ]);
    }
  }
  return normalizedColumns;
};



;// CONCATENATED MODULE: ./node_modules/csv-parse/lib/utils/ResizeableBuffer.js
class ResizeableBuffer {
  constructor(size = 100) {
    this.size = size;
    this.length = 0;
    this.buf = Buffer.allocUnsafe(size);
  }
  prepend(val) {
    if (Buffer.isBuffer(val)) {
      const length = this.length + val.length;
      if (length >= this.size) {
        this.resize();
        if (length >= this.size) {
          throw Error("INVALID_BUFFER_STATE");
        }
      }
      const buf = this.buf;
      this.buf = Buffer.allocUnsafe(this.size);
      val.copy(this.buf, 0);
      buf.copy(this.buf, val.length);
      this.length += val.length;
    } else {
      const length = this.length++;
      if (length === this.size) {
        this.resize();
      }
      const buf = this.clone();
      this.buf[0] = val;
      buf.copy(this.buf, 1, 0, length);
    }
  }
  append(val) {
    const length = this.length++;
    if (length === this.size) {
      this.resize();
    }
    this.buf[length] = val;
  }
  clone() {
    return Buffer.from(this.buf.slice(0, this.length));
  }
  resize() {
    const length = this.length;
    this.size = this.size * 2;
    const buf = Buffer.allocUnsafe(this.size);
    this.buf.copy(buf, 0, 0, length);
    this.buf = buf;
  }
  toString(encoding) {
    if (encoding) {
      return this.buf.toString(encoding, 0, this.length);
    } else {
      return Uint8Array.prototype.slice.call(this.buf.slice(0, this.length));
    }
  }
  toJSON() {
    return this.toString("utf8");
  }
  reset() {
    this.length = 0;
  }
}

/* harmony default export */ const utils_ResizeableBuffer = (ResizeableBuffer);

;// CONCATENATED MODULE: ./node_modules/csv-parse/lib/api/init_state.js


const init_state = function (options) {
  // ECMAScript WhiteSpace + LineTerminator codepoints, encoded under
  // `options.encoding`. Aligns trimming with `String.prototype.trim()`.
  // https://tc39.es/ecma262/#sec-white-space
  // https://tc39.es/ecma262/#sec-line-terminators
  //
  // Codepoints unrepresentable in the target encoding are dropped: Node's
  // Buffer substitutes them with `?` (0x3F), and including those would cause
  // literal `?` bytes in the input to be trimmed under `latin1`/`ascii`.
  const timchars = [
    // Basic Latin
    0x0020, // [Space](https://www.fileformat.info/info/unicode/char/0020/index.htm)
    0x0009, // [CHARACTER TABULATION (HT)](https://www.fileformat.info/info/unicode/char/0009/index.htm)
    0x000a, // [LINE FEED (LF)](https://www.fileformat.info/info/unicode/char/000a/index.htm)
    0x000d, // [CARRIAGE RETURN (CR)](https://www.fileformat.info/info/unicode/char/000d/index.htm)
    0x000c, // [FORM FEED (FF)](https://www.fileformat.info/info/unicode/char/000c/index.htm)
    0x000b, // [LINE TABULATION (VT)](https://www.fileformat.info/info/unicode/char/000b/index.htm)
    // Latin-1 Supplement
    0x00a0, // [NO-BREAK SPACE (NBSP)](https://www.fileformat.info/info/unicode/char/00a0/index.htm)
    // Ogham
    0x1680, // [OGHAM SPACE MARK](https://www.fileformat.info/info/unicode/char/1680/index.htm)
    // General Punctuation
    0x2000, // [EN QUAD](https://www.fileformat.info/info/unicode/char/2000/index.htm)
    0x2001, // [EM QUAD](https://www.fileformat.info/info/unicode/char/2001/index.htm)
    0x2002, // [EN SPACE](https://www.fileformat.info/info/unicode/char/2002/index.htm)
    0x2003, // [EM SPACE](https://www.fileformat.info/info/unicode/char/2003/index.htm)
    0x2004, // [THREE-PER-EM SPACE](https://www.fileformat.info/info/unicode/char/2004/index.htm)
    0x2005, // [FOUR-PER-EM SPACE](https://www.fileformat.info/info/unicode/char/2005/index.htm)
    0x2006, // [SIX-PER-EM SPACE](https://www.fileformat.info/info/unicode/char/2006/index.htm)
    0x2007, // [FIGURE SPACE](https://www.fileformat.info/info/unicode/char/2007/index.htm)
    0x2008, // [PUNCTUATION SPACE](https://www.fileformat.info/info/unicode/char/2008/index.htm)
    0x2009, // [THIN SPACE](https://www.fileformat.info/info/unicode/char/2009/index.htm)
    0x200a, // [HAIR SPACE](https://www.fileformat.info/info/unicode/char/200a/index.htm)
    0x2028, // [LINE SEPARATOR](https://www.fileformat.info/info/unicode/char/2028/index.htm)
    0x2029, // [PARAGRAPH SEPARATOR](https://www.fileformat.info/info/unicode/char/2029/index.htm)
    0x202f, // [NARROW NO-BREAK SPACE (NNBSP)](https://www.fileformat.info/info/unicode/char/202f/index.htm)
    0x205f, // [MEDIUM MATHEMATICAL SPACE (MMSP)](https://www.fileformat.info/info/unicode/char/205f/index.htm)
    0x3000, // [IDEOGRAPHIC SPACE](https://www.fileformat.info/info/unicode/char/3000/index.htm)
    0xfeff, // [ZERO WIDTH NO-BREAK SPACE (BOM)](https://www.fileformat.info/info/unicode/char/feff/index.htm)
  ].reduce((acc, codepoint) => {
    const encoded = Buffer.from(
      String.fromCharCode(codepoint),
      options.encoding,
    );
    if (codepoint !== 0x3f && encoded.length === 1 && encoded[0] === 0x3f) {
      return acc;
    }
    acc.push(encoded);
    return acc;
  }, []);
  // First-byte lookup table for `__isCharTrimable`. Non-whitespace bytes
  // (the common case) bail out in O(1) without scanning every timchar.
  const timcharFirstBytes = new Uint8Array(256);
  for (const t of timchars) timcharFirstBytes[t[0]] = 1;
  return {
    bomSkipped: false,
    bufBytesStart: 0,
    castField: options.cast_function,
    commenting: false,
    delimiterBufPrevious: undefined,
    delimiterDiscovered: false,
    // Current error encountered by a record
    error: undefined,
    enabled: options.from_line === 1,
    escaping: false,
    escapeIsQuote:
      Buffer.isBuffer(options.escape) &&
      Buffer.isBuffer(options.quote) &&
      Buffer.compare(options.escape, options.quote) === 0,
    // columns can be `false`, `true`, `Array`
    expectedRecordLength: Array.isArray(options.columns)
      ? options.columns.length
      : undefined,
    field: new utils_ResizeableBuffer(20),
    firstLineToHeaders: options.cast_first_line_to_header,
    needMoreDataSize: Math.max(
      // Skip if the remaining buffer smaller than comment
      options.comment !== null ? options.comment.length : 0,
      // Skip if the remaining buffer can be delimiter
      ...(options.delimiter
        ? options.delimiter.map((delimiter) => delimiter.length)
        : []),
      // Auto discovery of delimiter is limited to 1 character
      options.delimiter_auto ? 1 : 0,
      // Skip if the remaining buffer can be escape sequence
      options.quote !== null ? options.quote.length : 0,
      // Skip if the remaining buffer can be a multi-byte trim character
      ...timchars.map((t) => t.length),
    ),
    previousBuf: undefined,
    quoting: false,
    stop: false,
    rawBuffer: new utils_ResizeableBuffer(100),
    record: [],
    recordHasError: false,
    record_length: 0,
    recordDelimiterMaxLength:
      options.record_delimiter.length === 0
        ? 0
        : Math.max(...options.record_delimiter.map((v) => v.length)),
    trimChars: [
      Buffer.from(" ", options.encoding)[0],
      Buffer.from("\t", options.encoding)[0],
    ],
    wasQuoting: false,
    wasRowDelimiter: false,
    timchars: timchars,
    timcharFirstBytes: timcharFirstBytes,
  };
};



;// CONCATENATED MODULE: ./node_modules/csv-parse/lib/utils/underscore.js
const underscore = function (str) {
  return str.replace(/([A-Z])/g, function (_, match) {
    return "_" + match.toLowerCase();
  });
};



;// CONCATENATED MODULE: ./node_modules/csv-parse/lib/api/normalize_options.js





const normalize_options = function (opts) {
  const options = {};
  // Merge with user options
  for (const opt in opts) {
    options[underscore(opt)] = opts[opt];
  }
  // Normalize option `encoding`
  // Note: defined first because other options depends on it
  // to convert chars/strings into buffers.
  if (options.encoding === undefined || options.encoding === true) {
    options.encoding = "utf8";
  } else if (options.encoding === null || options.encoding === false) {
    options.encoding = null;
  } else if (
    typeof options.encoding !== "string" &&
    options.encoding !== null
  ) {
    throw new CsvError(
      "CSV_INVALID_OPTION_ENCODING",
      [
        "Invalid option encoding:",
        "encoding must be a string or null to return a buffer,",
        `got ${JSON.stringify(options.encoding)}`,
      ],
      options,
    );
  }
  // Normalize option `bom`
  if (
    options.bom === undefined ||
    options.bom === null ||
    options.bom === false
  ) {
    options.bom = false;
  } else if (options.bom !== true) {
    throw new CsvError(
      "CSV_INVALID_OPTION_BOM",
      [
        "Invalid option bom:",
        "bom must be true,",
        `got ${JSON.stringify(options.bom)}`,
      ],
      options,
    );
  }
  // Normalize option `cast`
  options.cast_function = null;
  if (
    options.cast === undefined ||
    options.cast === null ||
    options.cast === false ||
    options.cast === ""
  ) {
    options.cast = undefined;
  } else if (typeof options.cast === "function") {
    options.cast_function = options.cast;
    options.cast = true;
  } else if (options.cast !== true) {
    throw new CsvError(
      "CSV_INVALID_OPTION_CAST",
      [
        "Invalid option cast:",
        "cast must be true or a function,",
        `got ${JSON.stringify(options.cast)}`,
      ],
      options,
    );
  }
  // Normalize option `cast_date`
  if (
    options.cast_date === undefined ||
    options.cast_date === null ||
    options.cast_date === false ||
    options.cast_date === ""
  ) {
    options.cast_date = false;
  } else if (options.cast_date === true) {
    options.cast_date = function (value) {
      const date = Date.parse(value);
      return !isNaN(date) ? new Date(date) : value;
    };
  } else if (typeof options.cast_date !== "function") {
    throw new CsvError(
      "CSV_INVALID_OPTION_CAST_DATE",
      [
        "Invalid option cast_date:",
        "cast_date must be true or a function,",
        `got ${JSON.stringify(options.cast_date)}`,
      ],
      options,
    );
  }
  // Normalize option `columns`
  options.cast_first_line_to_header = undefined;
  if (options.columns === true) {
    // Fields in the first line are converted as-is to columns
    options.cast_first_line_to_header = undefined;
  } else if (typeof options.columns === "function") {
    options.cast_first_line_to_header = options.columns;
    options.columns = true;
  } else if (Array.isArray(options.columns)) {
    options.columns = normalize_columns_array(options.columns);
  } else if (
    options.columns === undefined ||
    options.columns === null ||
    options.columns === false
  ) {
    options.columns = false;
  } else {
    throw new CsvError(
      "CSV_INVALID_OPTION_COLUMNS",
      [
        "Invalid option columns:",
        "expect an array, a function or true,",
        `got ${JSON.stringify(options.columns)}`,
      ],
      options,
    );
  }
  // Normalize option `group_columns_by_name`
  if (
    options.group_columns_by_name === undefined ||
    options.group_columns_by_name === null ||
    options.group_columns_by_name === false
  ) {
    options.group_columns_by_name = false;
  } else if (options.group_columns_by_name !== true) {
    throw new CsvError(
      "CSV_INVALID_OPTION_GROUP_COLUMNS_BY_NAME",
      [
        "Invalid option group_columns_by_name:",
        "expect an boolean,",
        `got ${JSON.stringify(options.group_columns_by_name)}`,
      ],
      options,
    );
  } else if (options.columns === false) {
    throw new CsvError(
      "CSV_INVALID_OPTION_GROUP_COLUMNS_BY_NAME",
      [
        "Invalid option group_columns_by_name:",
        "the `columns` mode must be activated.",
      ],
      options,
    );
  }
  // Normalize option `comment`
  if (
    options.comment === undefined ||
    options.comment === null ||
    options.comment === false ||
    options.comment === ""
  ) {
    options.comment = null;
  } else {
    if (typeof options.comment === "string") {
      options.comment = Buffer.from(options.comment, options.encoding);
    }
    if (!Buffer.isBuffer(options.comment)) {
      throw new CsvError(
        "CSV_INVALID_OPTION_COMMENT",
        [
          "Invalid option comment:",
          "comment must be a buffer or a string,",
          `got ${JSON.stringify(options.comment)}`,
        ],
        options,
      );
    }
  }
  // Normalize option `comment_no_infix`
  if (
    options.comment_no_infix === undefined ||
    options.comment_no_infix === null ||
    options.comment_no_infix === false
  ) {
    options.comment_no_infix = false;
  } else if (options.comment_no_infix !== true) {
    throw new CsvError(
      "CSV_INVALID_OPTION_COMMENT",
      [
        "Invalid option comment_no_infix:",
        "value must be a boolean,",
        `got ${JSON.stringify(options.comment_no_infix)}`,
      ],
      options,
    );
  }
  // Normalize option `delimiter_auto`
  if (
    options.delimiter_auto === undefined ||
    options.delimiter_auto === null ||
    options.delimiter_auto === false
  ) {
    options.delimiter_auto = false;
  } else if (options.delimiter_auto === true) {
    options.delimiter_auto = {};
  } else if (!is_object(options.delimiter_auto)) {
    throw new CsvError(
      "CSV_INVALID_OPTION_DELIMITER_AUTO",
      [
        "Invalid option delimiter_auto:",
        "delimiter_auto must be a boolean or a configuration object,",
        `got ${JSON.stringify(options.delimiter_auto)}`,
      ],
      options,
    );
  }
  if (options.delimiter_auto) {
    if (options.delimiter_auto.preferred === undefined)
      options.delimiter_auto.preferred = {
        [",".charCodeAt(0)]: 1.8,
        ["\t".charCodeAt(0)]: 1.8,
        [";".charCodeAt(0)]: 1.6,
        [" ".charCodeAt(0)]: 1.6,
        [":".charCodeAt(0)]: 1.5,
        [".".charCodeAt(0)]: 1.4,
        ["/".charCodeAt(0)]: 1.4,
      };
    else if (!is_object(options.delimiter_auto.preferred)) {
      throw new CsvError(
        "CSV_INVALID_OPTION_DELIMITER_AUTO",
        [
          "Invalid option delimiter_auto:",
          "preferred must be an object,",
          `got ${JSON.stringify(options.delimiter_auto.preferred)}`,
        ],
        options,
      );
    }
    if (options.delimiter_auto.score === undefined)
      options.delimiter_auto.score = (info, options) => {
        return (
          (info.total - info.std) * (options.preferred[info.char_code] || 1)
        );
      };
    else if (typeof options.delimiter_auto.score !== "function") {
      throw new CsvError(
        "CSV_INVALID_OPTION_DELIMITER_AUTO",
        [
          "Invalid option delimiter_auto:",
          "score must be a function,",
          `got ${JSON.stringify(options.delimiter_auto.score)}`,
        ],
        options,
      );
    }
    if (options.delimiter_auto.size === undefined)
      options.delimiter_auto.size = 2048;
    else if (typeof options.delimiter_auto.size !== "number") {
      throw new CsvError(
        "CSV_INVALID_OPTION_DELIMITER_AUTO",
        [
          "Invalid option delimiter_auto:",
          "size must be a number,",
          `got ${JSON.stringify(options.delimiter_auto.size)}`,
        ],
        options,
      );
    }
  }
  // Normalize option `delimiter`
  const delimiter_json = JSON.stringify(options.delimiter);
  if (options.delimiter_auto !== false) {
    options.delimiter = [];
  }
  if (!Array.isArray(options.delimiter)) {
    if (
      options.delimiter === undefined ||
      options.delimiter === null ||
      options.delimiter === false
    ) {
      options.delimiter = Buffer.from(",", options.encoding);
    }
    options.delimiter = [options.delimiter];
  }
  options.delimiter = options.delimiter.map(function (delimiter) {
    if (typeof delimiter === "string") {
      delimiter = Buffer.from(delimiter, options.encoding);
    }
    if (!Buffer.isBuffer(delimiter) || delimiter.length === 0) {
      throw new CsvError(
        "CSV_INVALID_OPTION_DELIMITER",
        [
          "Invalid option delimiter:",
          "delimiter must be a non empty string or buffer or array of string|buffer,",
          `got ${delimiter_json}`,
        ],
        options,
      );
    }
    return delimiter;
  });
  // Normalize option `escape`
  if (options.escape === undefined || options.escape === true) {
    options.escape = Buffer.from('"', options.encoding);
  } else if (typeof options.escape === "string") {
    options.escape = Buffer.from(options.escape, options.encoding);
  } else if (options.escape === null || options.escape === false) {
    options.escape = null;
  }
  if (options.escape !== null) {
    if (!Buffer.isBuffer(options.escape)) {
      throw new Error(
        `Invalid Option: escape must be a buffer, a string or a boolean, got ${JSON.stringify(options.escape)}`,
      );
    }
  }
  // Normalize option `from`
  if (options.from === undefined || options.from === null) {
    options.from = 1;
  } else {
    if (typeof options.from === "string" && /\d+/.test(options.from)) {
      options.from = parseInt(options.from);
    }
    if (Number.isInteger(options.from)) {
      if (options.from < 0) {
        throw new Error(
          `Invalid Option: from must be a positive integer, got ${JSON.stringify(opts.from)}`,
        );
      }
    } else {
      throw new Error(
        `Invalid Option: from must be an integer, got ${JSON.stringify(options.from)}`,
      );
    }
  }
  // Normalize option `from_line`
  if (options.from_line === undefined || options.from_line === null) {
    options.from_line = 1;
  } else {
    if (
      typeof options.from_line === "string" &&
      /\d+/.test(options.from_line)
    ) {
      options.from_line = parseInt(options.from_line);
    }
    if (Number.isInteger(options.from_line)) {
      if (options.from_line <= 0) {
        throw new Error(
          `Invalid Option: from_line must be a positive integer greater than 0, got ${JSON.stringify(opts.from_line)}`,
        );
      }
    } else {
      throw new Error(
        `Invalid Option: from_line must be an integer, got ${JSON.stringify(opts.from_line)}`,
      );
    }
  }
  // Normalize options `ignore_last_delimiters`
  if (
    options.ignore_last_delimiters === undefined ||
    options.ignore_last_delimiters === null
  ) {
    options.ignore_last_delimiters = false;
  } else if (typeof options.ignore_last_delimiters === "number") {
    options.ignore_last_delimiters = Math.floor(options.ignore_last_delimiters);
    if (options.ignore_last_delimiters === 0) {
      options.ignore_last_delimiters = false;
    }
  } else if (typeof options.ignore_last_delimiters !== "boolean") {
    throw new CsvError(
      "CSV_INVALID_OPTION_IGNORE_LAST_DELIMITERS",
      [
        "Invalid option `ignore_last_delimiters`:",
        "the value must be a boolean value or an integer,",
        `got ${JSON.stringify(options.ignore_last_delimiters)}`,
      ],
      options,
    );
  }
  if (options.ignore_last_delimiters === true && options.columns === false) {
    throw new CsvError(
      "CSV_IGNORE_LAST_DELIMITERS_REQUIRES_COLUMNS",
      [
        "The option `ignore_last_delimiters`",
        "requires the activation of the `columns` option",
      ],
      options,
    );
  }
  // Normalize option `info`
  if (
    options.info === undefined ||
    options.info === null ||
    options.info === false
  ) {
    options.info = false;
  } else if (options.info !== true) {
    throw new Error(
      `Invalid Option: info must be true, got ${JSON.stringify(options.info)}`,
    );
  }
  // Normalize option `max_record_size`
  if (
    options.max_record_size === undefined ||
    options.max_record_size === null ||
    options.max_record_size === false
  ) {
    options.max_record_size = 0;
  } else if (
    Number.isInteger(options.max_record_size) &&
    options.max_record_size >= 0
  ) {
    // Great, nothing to do
  } else if (
    typeof options.max_record_size === "string" &&
    /\d+/.test(options.max_record_size)
  ) {
    options.max_record_size = parseInt(options.max_record_size);
  } else {
    throw new Error(
      `Invalid Option: max_record_size must be a positive integer, got ${JSON.stringify(options.max_record_size)}`,
    );
  }
  // Normalize option `objname`
  if (
    options.objname === undefined ||
    options.objname === null ||
    options.objname === false
  ) {
    options.objname = undefined;
  } else if (Buffer.isBuffer(options.objname)) {
    if (options.objname.length === 0) {
      throw new Error(`Invalid Option: objname must be a non empty buffer`);
    }
    if (options.encoding === null) {
      // Don't call `toString`, leave objname as a buffer
    } else {
      options.objname = options.objname.toString(options.encoding);
    }
  } else if (typeof options.objname === "string") {
    if (options.objname.length === 0) {
      throw new Error(`Invalid Option: objname must be a non empty string`);
    }
    // Great, nothing to do
  } else if (typeof options.objname === "number") {
    // if(options.objname.length === 0){
    //   throw new Error(`Invalid Option: objname must be a non empty string`);
    // }
    // Great, nothing to do
  } else {
    throw new Error(
      `Invalid Option: objname must be a string or a buffer, got ${options.objname}`,
    );
  }
  if (options.objname !== undefined) {
    if (typeof options.objname === "number") {
      if (options.columns !== false) {
        throw Error(
          "Invalid Option: objname index cannot be combined with columns or be defined as a field",
        );
      }
    } else {
      // A string or a buffer
      if (options.columns === false) {
        throw Error(
          "Invalid Option: objname field must be combined with columns or be defined as an index",
        );
      }
    }
  }
  // Normalize option `on_record`
  if (options.on_record === undefined || options.on_record === null) {
    options.on_record = undefined;
  } else if (typeof options.on_record !== "function") {
    throw new CsvError(
      "CSV_INVALID_OPTION_ON_RECORD",
      [
        "Invalid option `on_record`:",
        "expect a function,",
        `got ${JSON.stringify(options.on_record)}`,
      ],
      options,
    );
  }
  // Normalize option `on_skip`
  // options.on_skip ??= (err, chunk) => {
  //   this.emit('skip', err, chunk);
  // };
  if (
    options.on_skip !== undefined &&
    options.on_skip !== null &&
    typeof options.on_skip !== "function"
  ) {
    throw new Error(
      `Invalid Option: on_skip must be a function, got ${JSON.stringify(options.on_skip)}`,
    );
  }
  // Normalize option `quote`
  if (
    options.quote === null ||
    options.quote === false ||
    options.quote === ""
  ) {
    options.quote = null;
  } else {
    if (options.quote === undefined || options.quote === true) {
      options.quote = Buffer.from('"', options.encoding);
    } else if (typeof options.quote === "string") {
      options.quote = Buffer.from(options.quote, options.encoding);
    }
    if (!Buffer.isBuffer(options.quote)) {
      throw new Error(
        `Invalid Option: quote must be a buffer or a string, got ${JSON.stringify(options.quote)}`,
      );
    }
  }
  // Normalize option `raw`
  if (
    options.raw === undefined ||
    options.raw === null ||
    options.raw === false
  ) {
    options.raw = false;
  } else if (options.raw !== true) {
    throw new Error(
      `Invalid Option: raw must be true, got ${JSON.stringify(options.raw)}`,
    );
  }
  // Normalize option `record_delimiter`
  if (options.record_delimiter === undefined) {
    options.record_delimiter = [];
  } else if (
    typeof options.record_delimiter === "string" ||
    Buffer.isBuffer(options.record_delimiter)
  ) {
    if (options.record_delimiter.length === 0) {
      throw new CsvError(
        "CSV_INVALID_OPTION_RECORD_DELIMITER",
        [
          "Invalid option `record_delimiter`:",
          "value must be a non empty string or buffer,",
          `got ${JSON.stringify(options.record_delimiter)}`,
        ],
        options,
      );
    }
    options.record_delimiter = [options.record_delimiter];
  } else if (!Array.isArray(options.record_delimiter)) {
    throw new CsvError(
      "CSV_INVALID_OPTION_RECORD_DELIMITER",
      [
        "Invalid option `record_delimiter`:",
        "value must be a string, a buffer or array of string|buffer,",
        `got ${JSON.stringify(options.record_delimiter)}`,
      ],
      options,
    );
  }
  options.record_delimiter = options.record_delimiter.map(function (rd, i) {
    if (typeof rd !== "string" && !Buffer.isBuffer(rd)) {
      throw new CsvError(
        "CSV_INVALID_OPTION_RECORD_DELIMITER",
        [
          "Invalid option `record_delimiter`:",
          "value must be a string, a buffer or array of string|buffer",
          `at index ${i},`,
          `got ${JSON.stringify(rd)}`,
        ],
        options,
      );
    } else if (rd.length === 0) {
      throw new CsvError(
        "CSV_INVALID_OPTION_RECORD_DELIMITER",
        [
          "Invalid option `record_delimiter`:",
          "value must be a non empty string or buffer",
          `at index ${i},`,
          `got ${JSON.stringify(rd)}`,
        ],
        options,
      );
    }
    if (typeof rd === "string") {
      rd = Buffer.from(rd, options.encoding);
    }
    return rd;
  });
  // Normalize option `relax_column_count`
  if (typeof options.relax_column_count === "boolean") {
    // Great, nothing to do
  } else if (
    options.relax_column_count === undefined ||
    options.relax_column_count === null
  ) {
    options.relax_column_count = false;
  } else {
    throw new Error(
      `Invalid Option: relax_column_count must be a boolean, got ${JSON.stringify(options.relax_column_count)}`,
    );
  }
  if (typeof options.relax_column_count_less === "boolean") {
    // Great, nothing to do
  } else if (
    options.relax_column_count_less === undefined ||
    options.relax_column_count_less === null
  ) {
    options.relax_column_count_less = false;
  } else {
    throw new Error(
      `Invalid Option: relax_column_count_less must be a boolean, got ${JSON.stringify(options.relax_column_count_less)}`,
    );
  }
  if (typeof options.relax_column_count_more === "boolean") {
    // Great, nothing to do
  } else if (
    options.relax_column_count_more === undefined ||
    options.relax_column_count_more === null
  ) {
    options.relax_column_count_more = false;
  } else {
    throw new Error(
      `Invalid Option: relax_column_count_more must be a boolean, got ${JSON.stringify(options.relax_column_count_more)}`,
    );
  }
  // Normalize option `relax_quotes`
  if (typeof options.relax_quotes === "boolean") {
    // Great, nothing to do
  } else if (
    options.relax_quotes === undefined ||
    options.relax_quotes === null
  ) {
    options.relax_quotes = false;
  } else {
    throw new Error(
      `Invalid Option: relax_quotes must be a boolean, got ${JSON.stringify(options.relax_quotes)}`,
    );
  }
  // Normalize option `skip_empty_lines`
  if (typeof options.skip_empty_lines === "boolean") {
    // Great, nothing to do
  } else if (
    options.skip_empty_lines === undefined ||
    options.skip_empty_lines === null
  ) {
    options.skip_empty_lines = false;
  } else {
    throw new Error(
      `Invalid Option: skip_empty_lines must be a boolean, got ${JSON.stringify(options.skip_empty_lines)}`,
    );
  }
  // Normalize option `skip_records_with_empty_values`
  if (typeof options.skip_records_with_empty_values === "boolean") {
    // Great, nothing to do
  } else if (
    options.skip_records_with_empty_values === undefined ||
    options.skip_records_with_empty_values === null
  ) {
    options.skip_records_with_empty_values = false;
  } else {
    throw new Error(
      `Invalid Option: skip_records_with_empty_values must be a boolean, got ${JSON.stringify(options.skip_records_with_empty_values)}`,
    );
  }
  // Normalize option `skip_records_with_error`
  if (typeof options.skip_records_with_error === "boolean") {
    // Great, nothing to do
  } else if (
    options.skip_records_with_error === undefined ||
    options.skip_records_with_error === null
  ) {
    options.skip_records_with_error = false;
  } else {
    throw new Error(
      `Invalid Option: skip_records_with_error must be a boolean, got ${JSON.stringify(options.skip_records_with_error)}`,
    );
  }
  // Normalize option `rtrim`
  if (
    options.rtrim === undefined ||
    options.rtrim === null ||
    options.rtrim === false
  ) {
    options.rtrim = false;
  } else if (options.rtrim !== true) {
    throw new Error(
      `Invalid Option: rtrim must be a boolean, got ${JSON.stringify(options.rtrim)}`,
    );
  }
  // Normalize option `ltrim`
  if (
    options.ltrim === undefined ||
    options.ltrim === null ||
    options.ltrim === false
  ) {
    options.ltrim = false;
  } else if (options.ltrim !== true) {
    throw new Error(
      `Invalid Option: ltrim must be a boolean, got ${JSON.stringify(options.ltrim)}`,
    );
  }
  // Normalize option `trim`
  if (
    options.trim === undefined ||
    options.trim === null ||
    options.trim === false
  ) {
    options.trim = false;
  } else if (options.trim !== true) {
    throw new Error(
      `Invalid Option: trim must be a boolean, got ${JSON.stringify(options.trim)}`,
    );
  }
  // Normalize options `trim`, `ltrim` and `rtrim`
  if (options.trim === true && opts.ltrim !== false) {
    options.ltrim = true;
  } else if (options.ltrim !== true) {
    options.ltrim = false;
  }
  if (options.trim === true && opts.rtrim !== false) {
    options.rtrim = true;
  } else if (options.rtrim !== true) {
    options.rtrim = false;
  }
  // Normalize option `to`
  if (options.to === undefined || options.to === null) {
    options.to = -1;
  } else if (options.to !== -1) {
    if (typeof options.to === "string" && /\d+/.test(options.to)) {
      options.to = parseInt(options.to);
    }
    if (Number.isInteger(options.to)) {
      if (options.to <= 0) {
        throw new Error(
          `Invalid Option: to must be a positive integer greater than 0, got ${JSON.stringify(opts.to)}`,
        );
      }
    } else {
      throw new Error(
        `Invalid Option: to must be an integer, got ${JSON.stringify(opts.to)}`,
      );
    }
  }
  // Normalize option `to_line`
  if (options.to_line === undefined || options.to_line === null) {
    options.to_line = -1;
  } else if (options.to_line !== -1) {
    if (typeof options.to_line === "string" && /\d+/.test(options.to_line)) {
      options.to_line = parseInt(options.to_line);
    }
    if (Number.isInteger(options.to_line)) {
      if (options.to_line <= 0) {
        throw new Error(
          `Invalid Option: to_line must be a positive integer greater than 0, got ${JSON.stringify(opts.to_line)}`,
        );
      }
    } else {
      throw new Error(
        `Invalid Option: to_line must be an integer, got ${JSON.stringify(opts.to_line)}`,
      );
    }
  }
  return options;
};



;// CONCATENATED MODULE: ./node_modules/csv-parse/lib/utils/delimiter_discover.js



// Discussed in [issue #400](https://github.com/adaltas/node-csv/issues/400)
// See https://github.com/python/cpython/blob/ea1b1c579f600cc85d145c60862b2e6b98701b24/Lib/csv.py#L349
const delimiter_discover = function (records, options) {
  // Normalize the configuration
  if (!options) {
    ({ delimiter_auto: options } = normalize_options({ delimiter_auto: true }));
  }
  // Convert String to Buffer
  if (typeof records === "string") {
    records = Buffer.from(records);
  }
  // Convert Buffer to an array of records
  if (Buffer.isBuffer(records)) {
    records = ((data) => {
      const records = [];
      const parser = transform({ delimiter: [] });
      const push = (record) => records.push(record);
      const close = () => {};
      const error = parser.parse(data, true, push, close);
      if (error !== undefined) throw error;
      return records;
    })(records);
  }
  // Info array initialization, 127 entries, one per char code
  const info = Array(127)
    .fill()
    .map(() => ({ lines: [] }));
  // Traverse each records, count occurences per char code
  records.map(([record], line) => {
    for (let i = 0, l = record.length; i < l; i++) {
      // Count the character frequency
      const code = record.charCodeAt(i);
      if (info[code].lines[line] === undefined) info[code].lines[line] = 0;
      info[code].lines[line]++;
    }
  });
  // Traverse each char code, compute the score
  info.map((info, i) => {
    info.char_code = i;
    info.std = std(info.lines);
    info.total = info.lines.reduce((acc, val) => acc + val, 0);
    info.preferred = !!options.preferred[i];
    info.score = options.score(info, options);
  });
  // Extract the dominant character
  const result = info.reduce(
    (acc, info) => (acc.score > info.score ? acc : info),
    {},
  );
  return String.fromCharCode(result.char_code);
};

const std = function (array) {
  const n = array.length;
  if (n === 0) return 0;
  const mean = array.reduce((a, b) => a + b) / n;
  return Math.sqrt(
    array.map((x) => Math.pow(x - mean, 2)).reduce((a, b) => a + b) / n,
  );
};



;// CONCATENATED MODULE: ./node_modules/csv-parse/lib/api/index.js






const isRecordEmpty = function (record) {
  return record.every(
    (field) =>
      field == null || (field.toString && field.toString().trim() === ""),
  );
};

const cr = 13; // `\r`, carriage return, 0x0D in hexadécimal, 13 in decimal
const nl = 10; // `\n`, newline, 0x0A in hexadecimal, 10 in decimal

const boms = {
  // Note, the following are equals:
  // Buffer.from("\ufeff")
  // Buffer.from([239, 187, 191])
  // Buffer.from('EFBBBF', 'hex')
  utf8: Buffer.from([239, 187, 191]),
  // Note, the following are equals:
  // Buffer.from "\ufeff", 'utf16le
  // Buffer.from([255, 254])
  utf16le: Buffer.from([255, 254]),
};

const transform = function (original_options = {}) {
  const info = {
    bytes: 0,
    bytes_records: 0,
    comment_lines: 0,
    empty_lines: 0,
    invalid_field_length: 0,
    lines: 1,
    records: 0,
  };
  const options = normalize_options(original_options);
  return {
    info: info,
    original_options: original_options,
    options: options,
    state: init_state(options),
    __needMoreData: function (i, bufLen, end) {
      if (end) return false;
      const { encoding, escape, quote } = this.options;
      const { quoting, needMoreDataSize, recordDelimiterMaxLength } =
        this.state;
      const numOfCharLeft = bufLen - i - 1;
      const requiredLength = Math.max(
        needMoreDataSize,
        // Skip if the remaining buffer smaller than record delimiter
        // If "record_delimiter" is yet to be discovered:
        // 1. It is equals to `[]` and "recordDelimiterMaxLength" equals `0`
        // 2. We set the length to windows line ending in the current encoding
        // Note, that encoding is known from user or bom discovery at that point
        // recordDelimiterMaxLength,
        recordDelimiterMaxLength === 0
          ? Buffer.from("\r\n", encoding).length
          : recordDelimiterMaxLength,
        // Skip if remaining buffer can be an escaped quote
        quoting ? (escape === null ? 0 : escape.length) + quote.length : 0,
        // Skip if remaining buffer can be record delimiter following the closing quote
        quoting ? quote.length + recordDelimiterMaxLength : 0,
      );
      return numOfCharLeft < requiredLength;
    },
    // Central parser implementation
    parse: function (nextBuf, end, push, close) {
      const {
        bom,
        comment_no_infix,
        delimiter_auto,
        encoding,
        from_line,
        ltrim,
        max_record_size,
        raw,
        relax_quotes,
        rtrim,
        skip_empty_lines,
        to,
        to_line,
      } = this.options;
      let { comment, escape, quote, record_delimiter } = this.options;
      const {
        bomSkipped,
        delimiterDiscovered,
        delimiterBufPrevious,
        rawBuffer,
        escapeIsQuote,
      } = this.state;
      // Automatic delimiter discovery
      if (!delimiterDiscovered && delimiter_auto) {
        let delimiterBuf;
        if (delimiterBufPrevious === undefined) {
          delimiterBuf = nextBuf;
        } else if (
          delimiterBufPrevious !== undefined &&
          nextBuf === undefined
        ) {
          delimiterBuf = delimiterBufPrevious;
        } else {
          delimiterBuf = Buffer.concat([delimiterBufPrevious, nextBuf]);
        }
        // Ensure that nextBuf is not concatenated a second time during buffer reconciliation
        nextBuf = undefined;
        // this.delimiterBufPrevious = delimiterBuf;
        if (end || delimiterBuf.length > delimiter_auto.size) {
          this.options.delimiter = [
            Buffer.from(
              delimiter_discover(delimiterBuf, this.options.delimiter_auto),
            ),
          ];
          this.state.previousBuf = delimiterBuf;
          this.state.delimiterBufPrevious = undefined;
          this.state.delimiterDiscovered = true;
        } else {
          this.state.delimiterBufPrevious = delimiterBuf;
          return;
        }
      }
      // Previous buffers reconciliation
      const { previousBuf } = this.state;
      let buf;
      if (previousBuf === undefined) {
        if (nextBuf === undefined) {
          // Handle empty string
          close();
          return;
        } else {
          buf = nextBuf;
        }
      } else if (previousBuf !== undefined && nextBuf === undefined) {
        buf = previousBuf;
      } else {
        buf = Buffer.concat([previousBuf, nextBuf]);
      }
      // Handle UTF BOM
      if (bomSkipped === false) {
        if (bom === false) {
          this.state.bomSkipped = true;
        } else if (buf.length < 3) {
          // No enough data
          if (end === false) {
            // Wait for more data
            this.state.previousBuf = buf;
            return;
          }
        } else {
          for (const encoding in boms) {
            if (boms[encoding].compare(buf, 0, boms[encoding].length) === 0) {
              // Skip BOM
              const bomLength = boms[encoding].length;
              this.state.bufBytesStart += bomLength;
              buf = buf.slice(bomLength);
              // Renormalize original options with the new encoding
              const options = normalize_options({
                ...this.original_options,
                encoding: encoding,
              });
              // Properties are merged with the existing options instance
              for (const key in options) {
                this.options[key] = options[key];
              }
              // Options will re-evaluate the Buffer with the new encoding
              ({ comment, escape, quote } = this.options);
              break;
            }
          }
          this.state.bomSkipped = true;
        }
      }
      const bufLen = buf.length;
      let pos;
      for (pos = 0; pos < bufLen; pos++) {
        // Ensure we get enough space to look ahead
        // There should be a way to move this out of the loop
        if (this.__needMoreData(pos, bufLen, end)) {
          break;
        }
        if (this.state.wasRowDelimiter === true) {
          this.info.lines++;
          this.state.wasRowDelimiter = false;
        }
        if (to_line !== -1 && this.info.lines > to_line) {
          this.state.stop = true;
          close();
          return;
        }
        // Auto discovery of record_delimiter, unix, mac and windows supported
        if (this.state.quoting === false && record_delimiter.length === 0) {
          const record_delimiterCount = this.__autoDiscoverRecordDelimiter(
            buf,
            pos,
          );
          if (record_delimiterCount) {
            record_delimiter = this.options.record_delimiter;
          }
        }
        const chr = buf[pos];
        if (raw === true) {
          rawBuffer.append(chr);
        }
        if (
          (chr === cr || chr === nl) &&
          this.state.wasRowDelimiter === false
        ) {
          this.state.wasRowDelimiter = true;
        }
        // Previous char was a valid escape char
        // treat the current char as a regular char
        if (this.state.escaping === true) {
          this.state.escaping = false;
        } else {
          // Escape is only active inside quoted fields
          // We are quoting, the char is an escape chr and there is a chr to escape
          // if(escape !== null && this.state.quoting === true && chr === escape && pos + 1 < bufLen){
          if (
            escape !== null &&
            this.state.quoting === true &&
            this.__isEscape(buf, pos, chr) &&
            pos + escape.length < bufLen
          ) {
            if (escapeIsQuote) {
              if (this.__isQuote(buf, pos + escape.length)) {
                this.state.escaping = true;
                pos += escape.length - 1;
                continue;
              }
            } else {
              this.state.escaping = true;
              pos += escape.length - 1;
              continue;
            }
          }
          // Not currently escaping and chr is a quote
          // TODO: need to compare bytes instead of single char
          if (this.state.commenting === false && this.__isQuote(buf, pos)) {
            if (this.state.quoting === true) {
              const nextChr = buf[pos + quote.length];
              const isNextChrTrimable =
                rtrim && this.__isCharTrimable(buf, pos + quote.length);
              const isNextChrComment =
                comment !== null &&
                this.__compareBytes(comment, buf, pos + quote.length, nextChr);
              const isNextChrDelimiter = this.__isDelimiter(
                buf,
                pos + quote.length,
                nextChr,
              );
              const isNextChrRecordDelimiter =
                record_delimiter.length === 0
                  ? this.__autoDiscoverRecordDelimiter(buf, pos + quote.length)
                  : this.__isRecordDelimiter(nextChr, buf, pos + quote.length);
              // Escape a quote
              // Treat next char as a regular character
              if (
                escape !== null &&
                this.__isEscape(buf, pos, chr) &&
                this.__isQuote(buf, pos + escape.length)
              ) {
                pos += escape.length - 1;
              } else if (
                !nextChr ||
                isNextChrDelimiter ||
                isNextChrRecordDelimiter ||
                isNextChrComment ||
                isNextChrTrimable
              ) {
                this.state.quoting = false;
                this.state.wasQuoting = true;
                pos += quote.length - 1;
                continue;
              } else if (relax_quotes === false) {
                const err = this.__error(
                  new CsvError(
                    "CSV_INVALID_CLOSING_QUOTE",
                    [
                      "Invalid Closing Quote:",
                      `got "${String.fromCharCode(nextChr)}"`,
                      `at line ${this.info.lines}`,
                      "instead of delimiter, record delimiter, trimable character",
                      "(if activated) or comment",
                    ],
                    this.options,
                    this.__infoField(),
                  ),
                );
                if (err !== undefined) return err;
              } else {
                this.state.quoting = false;
                this.state.wasQuoting = true;
                this.state.field.prepend(quote);
                pos += quote.length - 1;
              }
            } else {
              if (this.state.field.length !== 0) {
                // In relax_quotes mode, treat opening quote preceded by chrs as regular
                if (relax_quotes === false) {
                  const info = this.__infoField();
                  const bom = Object.keys(boms)
                    .map((b) =>
                      boms[b].equals(this.state.field.toString()) ? b : false,
                    )
                    .filter(Boolean)[0];
                  const err = this.__error(
                    new CsvError(
                      "INVALID_OPENING_QUOTE",
                      [
                        "Invalid Opening Quote:",
                        `a quote is found on field ${JSON.stringify(info.column)} at line ${info.lines}, value is ${JSON.stringify(this.state.field.toString(encoding))}`,
                        bom ? `(${bom} bom)` : undefined,
                      ],
                      this.options,
                      info,
                      {
                        field: this.state.field,
                      },
                    ),
                  );
                  if (err !== undefined) return err;
                }
              } else {
                this.state.quoting = true;
                pos += quote.length - 1;
                continue;
              }
            }
          }
          if (this.state.quoting === false) {
            const recordDelimiterLength = this.__isRecordDelimiter(
              chr,
              buf,
              pos,
            );
            if (recordDelimiterLength !== 0) {
              // Do not emit comments which take a full line
              const skipCommentLine =
                this.state.commenting &&
                this.state.wasQuoting === false &&
                this.state.record.length === 0 &&
                this.state.field.length === 0;
              if (skipCommentLine) {
                this.info.comment_lines++;
                // Skip full comment line
              } else {
                // Activate records emission if above from_line
                if (
                  this.state.enabled === false &&
                  this.info.lines +
                    (this.state.wasRowDelimiter === true ? 1 : 0) >=
                    from_line
                ) {
                  this.state.enabled = true;
                  this.__resetField();
                  this.__resetRecord();
                  pos += recordDelimiterLength - 1;
                  continue;
                }
                // Skip if line is empty and skip_empty_lines activated
                if (
                  skip_empty_lines === true &&
                  this.state.wasQuoting === false &&
                  this.state.record.length === 0 &&
                  this.state.field.length === 0
                ) {
                  this.info.empty_lines++;
                  pos += recordDelimiterLength - 1;
                  continue;
                }
                this.info.bytes = this.state.bufBytesStart + pos;
                const errField = this.__onField();
                if (errField !== undefined) return errField;
                this.info.bytes =
                  this.state.bufBytesStart + pos + recordDelimiterLength;
                const errRecord = this.__onRecord(push);
                if (errRecord !== undefined) return errRecord;
                if (to !== -1 && this.info.records >= to) {
                  this.state.stop = true;
                  close();
                  return;
                }
              }
              this.state.commenting = false;
              pos += recordDelimiterLength - 1;
              continue;
            }
            if (this.state.commenting) {
              continue;
            }
            if (
              comment !== null &&
              (comment_no_infix === false ||
                (this.state.record.length === 0 &&
                  this.state.field.length === 0))
            ) {
              const commentCount = this.__compareBytes(comment, buf, pos, chr);
              if (commentCount !== 0) {
                this.state.commenting = true;
                continue;
              }
            }
            const delimiterLength = this.__isDelimiter(buf, pos, chr);
            if (delimiterLength !== 0) {
              this.info.bytes = this.state.bufBytesStart + pos;
              const errField = this.__onField();
              if (errField !== undefined) return errField;
              pos += delimiterLength - 1;
              continue;
            }
          }
        }
        if (this.state.commenting === false) {
          if (
            max_record_size !== 0 &&
            this.state.record_length + this.state.field.length > max_record_size
          ) {
            return this.__error(
              new CsvError(
                "CSV_MAX_RECORD_SIZE",
                [
                  "Max Record Size:",
                  "record exceed the maximum number of tolerated bytes",
                  `of ${max_record_size}`,
                  `at line ${this.info.lines}`,
                ],
                this.options,
                this.__infoField(),
              ),
            );
          }
        }
        const lappend =
          ltrim === false ||
          this.state.quoting === true ||
          this.state.field.length !== 0 ||
          !this.__isCharTrimable(buf, pos);
        // rtrim in non quoting is handle in __onField
        const rappend = rtrim === false || this.state.wasQuoting === false;
        if (lappend === true && rappend === true) {
          this.state.field.append(chr);
        } else if (rtrim === true && !this.__isCharTrimable(buf, pos)) {
          return this.__error(
            new CsvError(
              "CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE",
              [
                "Invalid Closing Quote:",
                "found non trimable byte after quote",
                `at line ${this.info.lines}`,
              ],
              this.options,
              this.__infoField(),
            ),
          );
        } else {
          if (lappend === false) {
            pos += this.__isCharTrimable(buf, pos) - 1;
          }
          continue;
        }
      }
      if (end === true) {
        // Ensure we are not ending in a quoting state
        if (this.state.quoting === true) {
          const err = this.__error(
            new CsvError(
              "CSV_QUOTE_NOT_CLOSED",
              [
                "Quote Not Closed:",
                `the parsing is finished with an opening quote at line ${this.info.lines}`,
              ],
              this.options,
              this.__infoField(),
            ),
          );
          if (err !== undefined) return err;
        } else {
          // Skip last line if it has no characters
          if (
            this.state.wasQuoting === true ||
            this.state.record.length !== 0 ||
            this.state.field.length !== 0
          ) {
            this.info.bytes = this.state.bufBytesStart + pos;
            const errField = this.__onField();
            if (errField !== undefined) return errField;
            const errRecord = this.__onRecord(push);
            if (errRecord !== undefined) return errRecord;
          } else if (this.state.wasRowDelimiter === true) {
            this.info.empty_lines++;
          } else if (this.state.commenting === true) {
            this.info.comment_lines++;
          }
        }
      } else {
        this.state.bufBytesStart += pos;
        this.state.previousBuf = buf.slice(pos);
      }
      if (this.state.wasRowDelimiter === true) {
        this.info.lines++;
        this.state.wasRowDelimiter = false;
      }
    },
    __onRecord: function (push) {
      const {
        columns,
        group_columns_by_name,
        encoding,
        info,
        from,
        relax_column_count,
        relax_column_count_less,
        relax_column_count_more,
        raw,
        skip_records_with_empty_values,
      } = this.options;
      const { enabled, record } = this.state;
      if (enabled === false) {
        return this.__resetRecord();
      }
      // Convert the first line into column names
      const recordLength = record.length;
      if (columns === true) {
        if (skip_records_with_empty_values === true && isRecordEmpty(record)) {
          this.__resetRecord();
          return;
        }
        return this.__firstLineToColumns(record);
      }
      if (columns === false && this.info.records === 0) {
        this.state.expectedRecordLength = recordLength;
      }
      if (recordLength !== this.state.expectedRecordLength) {
        const err =
          columns === false
            ? new CsvError(
                "CSV_RECORD_INCONSISTENT_FIELDS_LENGTH",
                [
                  "Invalid Record Length:",
                  `expect ${this.state.expectedRecordLength},`,
                  `got ${recordLength} on line ${this.info.lines}`,
                ],
                this.options,
                this.__infoField(),
                {
                  record: record,
                },
              )
            : new CsvError(
                "CSV_RECORD_INCONSISTENT_COLUMNS",
                [
                  "Invalid Record Length:",
                  `columns length is ${columns.length},`, // rename columns
                  `got ${recordLength} on line ${this.info.lines}`,
                ],
                this.options,
                this.__infoField(),
                {
                  record: record,
                },
              );
        if (
          relax_column_count === true ||
          (relax_column_count_less === true &&
            recordLength < this.state.expectedRecordLength) ||
          (relax_column_count_more === true &&
            recordLength > this.state.expectedRecordLength)
        ) {
          this.info.invalid_field_length++;
          this.state.error = err;
          // Error is undefined with skip_records_with_error
        } else {
          const finalErr = this.__error(err);
          if (finalErr) return finalErr;
        }
      }
      if (skip_records_with_empty_values === true && isRecordEmpty(record)) {
        this.__resetRecord();
        return;
      }
      if (this.state.recordHasError === true) {
        this.__resetRecord();
        this.state.recordHasError = false;
        return;
      }
      this.info.records++;
      if (from === 1 || this.info.records >= from) {
        const { objname } = this.options;
        // With columns, records are object
        if (columns !== false) {
          const obj = {};
          // Transform record array to an object
          for (let i = 0, l = record.length; i < l; i++) {
            if (columns[i] === undefined || columns[i].disabled) continue;
            // Turn duplicate columns into an array
            if (
              group_columns_by_name === true &&
              Object.hasOwn(obj, columns[i].name)
            ) {
              if (Array.isArray(obj[columns[i].name])) {
                obj[columns[i].name] = obj[columns[i].name].concat(record[i]);
              } else {
                obj[columns[i].name] = [obj[columns[i].name], record[i]];
              }
            } else {
              Object.defineProperty(obj, columns[i].name, {
                value: record[i],
                enumerable: true,
                writable: true,
                configurable: true,
              });
            }
          }
          // Without objname (default)
          if (raw === true || info === true) {
            const extRecord = Object.assign(
              { record: obj },
              raw === true
                ? { raw: this.state.rawBuffer.toString(encoding) }
                : {},
              info === true ? { info: this.__infoRecord() } : {},
            );
            const err = this.__push(
              objname === undefined ? extRecord : [obj[objname], extRecord],
              push,
            );
            if (err) {
              return err;
            }
          } else {
            const err = this.__push(
              objname === undefined ? obj : [obj[objname], obj],
              push,
            );
            if (err) {
              return err;
            }
          }
          // Without columns, records are array
        } else {
          if (raw === true || info === true) {
            const extRecord = Object.assign(
              { record: record },
              raw === true
                ? { raw: this.state.rawBuffer.toString(encoding) }
                : {},
              info === true ? { info: this.__infoRecord() } : {},
            );
            const err = this.__push(
              objname === undefined ? extRecord : [record[objname], extRecord],
              push,
            );
            if (err) {
              return err;
            }
          } else {
            const err = this.__push(
              objname === undefined ? record : [record[objname], record],
              push,
            );
            if (err) {
              return err;
            }
          }
        }
      }
      this.__resetRecord();
    },
    __firstLineToColumns: function (record) {
      const { firstLineToHeaders } = this.state;
      try {
        const headers =
          firstLineToHeaders === undefined
            ? record
            : firstLineToHeaders.call(null, record);
        if (!Array.isArray(headers)) {
          return this.__error(
            new CsvError(
              "CSV_INVALID_COLUMN_MAPPING",
              [
                "Invalid Column Mapping:",
                "expect an array from column function,",
                `got ${JSON.stringify(headers)}`,
              ],
              this.options,
              this.__infoField(),
              {
                headers: headers,
              },
            ),
          );
        }
        const normalizedHeaders = normalize_columns_array(headers);
        this.state.expectedRecordLength = normalizedHeaders.length;
        this.options.columns = normalizedHeaders;
        this.__resetRecord();
        return;
      } catch (err) {
        return err;
      }
    },
    __resetRecord: function () {
      if (this.options.raw === true) {
        this.state.rawBuffer.reset();
      }
      this.state.error = undefined;
      this.state.record = [];
      this.state.record_length = 0;
    },
    __onField: function () {
      const { cast, encoding, rtrim, max_record_size } = this.options;
      const { enabled, wasQuoting } = this.state;
      // Short circuit for the from_line options
      if (enabled === false) {
        return this.__resetField();
      }
      let field = this.state.field.toString(encoding);
      if (rtrim === true && wasQuoting === false) {
        field = field.trimRight();
      }
      if (cast === true) {
        const [err, f] = this.__cast(field);
        if (err !== undefined) return err;
        field = f;
      }
      this.state.record.push(field);
      // Increment record length if record size must not exceed a limit
      if (max_record_size !== 0 && typeof field === "string") {
        this.state.record_length += field.length;
      }
      this.__resetField();
    },
    __resetField: function () {
      this.state.field.reset();
      this.state.wasQuoting = false;
    },
    __push: function (record, push) {
      const { on_record } = this.options;
      if (on_record !== undefined) {
        const info = this.__infoRecord();
        try {
          record = on_record.call(null, record, info);
        } catch (err) {
          return err;
        }
        if (record === undefined || record === null) {
          return;
        }
      }
      this.info.bytes_records += this.info.bytes;
      push(record);
    },
    // Return a tuple with the error and the casted value
    __cast: function (field) {
      const { columns, relax_column_count } = this.options;
      const isColumns = Array.isArray(columns);
      // Dont loose time calling cast
      // because the final record is an object
      // and this field can't be associated to a key present in columns
      if (
        isColumns === true &&
        relax_column_count &&
        this.options.columns.length <= this.state.record.length
      ) {
        return [undefined, undefined];
      }
      if (this.state.castField !== null) {
        try {
          const info = this.__infoField();
          return [undefined, this.state.castField.call(null, field, info)];
        } catch (err) {
          return [err];
        }
      }
      if (this.__isFloat(field)) {
        return [undefined, parseFloat(field)];
      } else if (this.options.cast_date !== false) {
        const info = this.__infoField();
        return [undefined, this.options.cast_date.call(null, field, info)];
      }
      return [undefined, field];
    },
    __compareBytes: function (sourceBuf, targetBuf, targetPos, firstByte) {
      if (sourceBuf[0] !== firstByte) return 0;
      const sourceLength = sourceBuf.length;
      for (let i = 1; i < sourceLength; i++) {
        if (sourceBuf[i] !== targetBuf[targetPos + i]) return 0;
      }
      return sourceLength;
    },
    // Helper to test if a character is trimable
    __isCharTrimable: function (buf, pos) {
      const { timchars, timcharFirstBytes } = this.state;
      // Fast bail-out: non-whitespace bytes (the common case) are rejected
      // without scanning the full timchar list.
      const first = buf[pos];
      if (first === undefined || timcharFirstBytes[first] === 0) return 0;
      loop1: for (let i = 0; i < timchars.length; i++) {
        const timchar = timchars[i];
        for (let j = 0; j < timchar.length; j++) {
          if (timchar[j] !== buf[pos + j]) continue loop1;
        }
        return timchar.length;
      }
      return 0;
    },
    __isDelimiter: function (buf, pos, chr) {
      const { delimiter, ignore_last_delimiters } = this.options;
      if (
        ignore_last_delimiters === true &&
        this.state.record.length === this.options.columns.length - 1
      ) {
        return 0;
      } else if (
        ignore_last_delimiters !== false &&
        typeof ignore_last_delimiters === "number" &&
        this.state.record.length === ignore_last_delimiters - 1
      ) {
        return 0;
      }
      loop1: for (let i = 0; i < delimiter.length; i++) {
        const del = delimiter[i];
        if (del[0] === chr) {
          for (let j = 1; j < del.length; j++) {
            if (del[j] !== buf[pos + j]) continue loop1;
          }
          return del.length;
        }
      }
      return 0;
    },
    __isEscape: function (buf, pos, chr) {
      const { escape } = this.options;
      if (escape === null) return false;
      const l = escape.length;
      if (escape[0] === chr) {
        for (let i = 0; i < l; i++) {
          if (escape[i] !== buf[pos + i]) {
            return false;
          }
        }
        return true;
      }
      return false;
    },
    __isFloat: function (value) {
      return value - parseFloat(value) + 1 >= 0; // Borrowed from jquery
    },
    // Keep it in case we implement the `cast_int` option
    // __isInt(value){
    //   // return Number.isInteger(parseInt(value))
    //   // return !isNaN( parseInt( obj ) );
    //   return /^(\-|\+)?[1-9][0-9]*$/.test(value)
    // }
    __isQuote: function (buf, pos) {
      const { quote } = this.options;
      if (quote === null) return false;
      const l = quote.length;
      for (let i = 0; i < l; i++) {
        if (quote[i] !== buf[pos + i]) {
          return false;
        }
      }
      return true;
    },
    __isRecordDelimiter: function (chr, buf, pos) {
      const { record_delimiter } = this.options;
      const recordDelimiterLength = record_delimiter.length;
      loop1: for (let i = 0; i < recordDelimiterLength; i++) {
        const rd = record_delimiter[i];
        const rdLength = rd.length;
        if (rd[0] !== chr) {
          continue;
        }
        for (let j = 1; j < rdLength; j++) {
          if (rd[j] !== buf[pos + j]) {
            continue loop1;
          }
        }
        return rd.length;
      }
      return 0;
    },
    __autoDiscoverRecordDelimiter: function (buf, pos) {
      const { encoding } = this.options;
      // Note, we don't need to cache this information in state,
      // It is only called on the first line until we find out a suitable
      // record delimiter.
      const rds = [
        // Important, the windows line ending must be before mac os 9
        Buffer.from("\r\n", encoding),
        Buffer.from("\n", encoding),
        Buffer.from("\r", encoding),
      ];
      loop: for (let i = 0; i < rds.length; i++) {
        const l = rds[i].length;
        for (let j = 0; j < l; j++) {
          if (rds[i][j] !== buf[pos + j]) {
            continue loop;
          }
        }
        this.options.record_delimiter.push(rds[i]);
        this.state.recordDelimiterMaxLength = rds[i].length;
        return rds[i].length;
      }
      return 0;
    },
    __error: function (msg) {
      const { encoding, raw, skip_records_with_error } = this.options;
      const err = typeof msg === "string" ? new Error(msg) : msg;
      if (skip_records_with_error) {
        this.state.recordHasError = true;
        if (this.options.on_skip !== undefined) {
          try {
            this.options.on_skip(
              err,
              raw ? this.state.rawBuffer.toString(encoding) : undefined,
            );
          } catch (err) {
            return err;
          }
        }
        // this.emit('skip', err, raw ? this.state.rawBuffer.toString(encoding) : undefined);
        return undefined;
      } else {
        return err;
      }
    },
    __infoDataSet: function () {
      return {
        ...this.info,
        columns: this.options.columns,
      };
    },
    __infoRecord: function () {
      const { columns, raw, encoding } = this.options;
      return {
        ...this.__infoDataSet(),
        bytes_records: this.info.bytes,
        error: this.state.error,
        header: columns === true,
        index: this.state.record.length,
        raw: raw ? this.state.rawBuffer.toString(encoding) : undefined,
      };
    },
    __infoField: function () {
      const { columns } = this.options;
      const isColumns = Array.isArray(columns);
      // Bytes records are only incremented when all records'fields are parsed
      const bytes_records = this.info.bytes_records;
      return {
        ...this.__infoRecord(),
        bytes_records: bytes_records,
        column:
          isColumns === true
            ? columns.length > this.state.record.length
              ? columns[this.state.record.length].name
              : null
            : this.state.record.length,
        quoting: this.state.wasQuoting,
      };
    },
  };
};



;// CONCATENATED MODULE: ./node_modules/csv-parse/lib/sync.js



const parse = function (data, opts = {}) {
  if (typeof data === "string") {
    data = Buffer.from(data);
  }
  const records = opts && opts.objname ? Object.create(null) : [];
  const parser = transform(opts);
  const push = (record) => {
    if (parser.options.objname === undefined) records.push(record);
    else {
      records[record[0]] = record[1];
    }
  };
  const close = () => {};
  const error = parser.parse(data, true, push, close);
  if (error !== undefined) throw error;
  return records;
};



;// CONCATENATED MODULE: ./src/plan/list.ts

/**
 * The one parser for list inputs: one item a line (or comma separated when `comma` is set),
 * double quotes keep separators inside an item, `#` starts a comment line, blanks are dropped.
 */
function parseList(raw, options = {}) {
    if (!raw)
        return [];
    const items = [];
    for (const line of raw.split(/\r?\n/)) {
        const trimmed = line.trim();
        if (trimmed === '' || trimmed.startsWith('#'))
            continue;
        if (!options.comma) {
            items.push(unquote(trimmed));
            continue;
        }
        const records = parse(trimmed, {
            delimiter: ',',
            trim: true,
            relax_quotes: true,
            relax_column_count: true,
            skip_empty_lines: true
        });
        for (const record of records) {
            for (const field of record)
                if (field.trim() !== '')
                    items.push(field.trim());
        }
    }
    return items;
}
/** Parses a `key=value,key2="a,b"` record with a real CSV parser, as the tag rules and cache specs need. */
function parseKeyValues(record) {
    const rows = parse(record, { delimiter: ',', trim: true, relax_quotes: true, relax_column_count: true });
    const pairs = [];
    for (const field of rows[0] ?? []) {
        if (field === '')
            continue;
        const eq = field.indexOf('=');
        if (eq < 0)
            pairs.push([field.trim(), '']);
        else
            pairs.push([field.slice(0, eq).trim(), unquote(field.slice(eq + 1).trim())]);
    }
    return pairs;
}
function unquote(value) {
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"'))
        return value.slice(1, -1);
    return value;
}

// EXTERNAL MODULE: ./src/text.ts
var src_text = __nccwpck_require__(8992);
;// CONCATENATED MODULE: ./src/plan/platforms.ts


const RULES = {
    amd64: { variants: ['', 'v2', 'v3', 'v4'], dropped: ['v1'] },
    '386': { variants: [''] },
    arm64: { variants: [''], dropped: ['v8'] },
    arm: { variants: ['v5', 'v6', 'v7'], defaultVariant: 'v7' },
    ppc64le: { variants: [''] },
    s390x: { variants: [''] },
    riscv64: { variants: [''] },
    mips64le: { variants: [''] },
    loong64: { variants: [''] }
};
// Other names for the same machine, as uname, Debian and containerd spell them. An alias that
// implies a variant (armhf is arm/v7) cannot be combined with another variant.
const ALIASES = {
    x86_64: { arch: 'amd64' },
    'x86-64': { arch: 'amd64' },
    i386: { arch: '386' },
    aarch64: { arch: 'arm64' },
    armhf: { arch: 'arm', variant: 'v7' },
    armv7: { arch: 'arm', variant: 'v7' },
    armv7l: { arch: 'arm', variant: 'v7' },
    armel: { arch: 'arm', variant: 'v6' },
    armv6: { arch: 'arm', variant: 'v6' },
    armv6l: { arch: 'arm', variant: 'v6' },
    armv5: { arch: 'arm', variant: 'v5' },
    ppc64el: { arch: 'ppc64le' },
    mips64el: { arch: 'mips64le' },
    loongarch64: { arch: 'loong64' }
};
// The order the error message lists them in: most used first (an object cannot keep it: '386' sorts first).
const ORDER = ['amd64', 'arm64', 'arm', '386', 'ppc64le', 's390x', 'riscv64', 'mips64le', 'loong64'];
/** Every platform id accepted, in the order the error message lists them. */
const ACCEPTED_PLATFORMS = ORDER.flatMap((arch) => RULES[arch].variants.map((variant) => formatId('linux', arch, variant || RULES[arch].defaultVariant)));
/**
 * Parses the `platforms` list into normalised platforms, in the order given. Rejects an empty
 * list, anything not buildable here (with the closest accepted spelling when one is obvious)
 * and the same platform twice under any spelling.
 */
function parsePlatforms(items, input = 'platforms') {
    const given = items.map((item) => item.trim()).filter((item) => item !== '');
    if (given.length === 0) {
        throw new errors/* InputError */.d(input, items.join(','), 'at least one platform, e.g. linux/amd64,linux/arm64');
    }
    const seen = new Map();
    const out = [];
    for (const raw of given) {
        const platform = normalise(raw);
        if (!platform)
            throw new errors/* InputError */.d(input, raw, acceptedText(raw));
        const first = seen.get(platform.id);
        if (first !== undefined) {
            throw new errors/* InputError */.d(input, raw, `each platform once, but this is ${platform.id}, already given as "${first}"`);
        }
        seen.set(platform.id, raw);
        out.push(platform);
    }
    return out;
}
/** The platform of the machine this process runs on, from Node's names for it. */
function nativePlatform(nodeArch = process.arch, os = process.platform) {
    const arch = NODE_ARCH[nodeArch];
    if (!arch)
        throw new Error(`unsupported host architecture "${nodeArch}": expected one of ${Object.keys(NODE_ARCH).join(', ')}`);
    const hostOs = os === 'win32' ? 'windows' : os;
    // Node does not tell arm v6 from v7 without process.config; v7 is what 32-bit arm runners are.
    const variant = arch === 'arm' ? 'v7' : undefined;
    return { os: hostOs, arch, variant, id: formatId(hostOs, arch, variant) };
}
const NODE_ARCH = {
    x64: 'amd64',
    ia32: '386',
    arm64: 'arm64',
    arm: 'arm',
    ppc64: 'ppc64le',
    s390x: 's390x',
    riscv64: 'riscv64',
    mips64el: 'mips64le',
    loong64: 'loong64'
};
/** The binfmt_misc handler (as qemu-user-static and tonistiigi/binfmt name it) that runs this platform's binaries. */
function emulatorFor(platform) {
    return EMULATOR[platform.arch];
}
const EMULATOR = {
    amd64: 'qemu-x86_64',
    '386': 'qemu-i386',
    arm64: 'qemu-aarch64',
    arm: 'qemu-arm',
    ppc64le: 'qemu-ppc64le',
    s390x: 'qemu-s390x',
    riscv64: 'qemu-riscv64',
    mips64le: 'qemu-mips64el',
    loong64: 'qemu-loongarch64'
};
/** The architecture name `tonistiigi/binfmt --install` accepts for this platform. */
function binfmtName(platform) {
    return platform.arch;
}
/**
 * Whether the host's CPU runs this platform's binaries without an emulator. amd64 hosts run 386.
 * arm64 hosts are not trusted with arm/v7: many arm64 server CPUs (and runners) lack AArch32, so
 * arm/v7 there goes through qemu-arm like any other foreign platform (its handler check decides).
 */
function runsNatively(platform, native) {
    if (platform.os !== native.os)
        return false;
    if (platform.arch === native.arch) {
        if (platform.arch !== 'arm')
            return true;
        return armLevel(platform.variant) <= armLevel(native.variant);
    }
    return platform.arch === '386' && native.arch === 'amd64';
}
function armLevel(variant) {
    return Number((variant ?? 'v7').slice(1));
}
function normalise(raw) {
    const parts = raw.toLowerCase().split('/');
    if (parts.length > 3 || parts.some((part) => part === ''))
        return undefined;
    // A bare architecture (`arm64`) means a Linux one, as buildx and containerd read it.
    const [os, archName, variantName] = parts.length === 1 ? ['linux', parts[0], undefined] : parts;
    if (os !== 'linux')
        return undefined;
    const alias = ALIASES[archName];
    const arch = alias?.arch ?? archName;
    if (!(arch in RULES))
        return undefined;
    const rule = RULES[arch];
    if (alias?.variant && variantName !== undefined)
        return undefined;
    let variant = alias?.variant ?? variantName ?? '';
    if (/^\d+$/.test(variant))
        variant = `v${variant}`;
    if (rule.dropped?.includes(variant))
        variant = '';
    if (variant === '' && rule.defaultVariant)
        variant = rule.defaultVariant;
    if (!rule.variants.includes(variant))
        return undefined;
    return { os, arch: arch, variant: variant || undefined, id: formatId(os, arch, variant) };
}
function formatId(os, arch, variant) {
    return variant ? `${os}/${arch}/${variant}` : `${os}/${arch}`;
}
function acceptedText(raw) {
    const hint = suggest(raw);
    return `one of ${ACCEPTED_PLATFORMS.join(', ')}${hint ? `; did you mean ${hint}?` : ''}`;
}
// Every spelling that parses, with and without `linux/`, mapped to its canonical id: a typo is
// compared with all of them so `linux/aarch46` finds linux/arm64 as readily as `linux/amd46` finds amd64.
const SPELLINGS = (() => {
    const names = [
        ...ACCEPTED_PLATFORMS.map((id) => id.slice('linux/'.length)),
        ...ORDER.flatMap((arch) => (RULES[arch].dropped ?? []).map((variant) => `${arch}/${variant}`)),
        ...Object.keys(ALIASES)
    ];
    const out = [];
    for (const name of names) {
        const id = normalise(`linux/${name}`)?.id;
        if (id)
            out.push([name, id], [`linux/${name}`, id]);
    }
    return out;
})();
/** The one accepted platform within a couple of keystrokes of `raw`, if there is exactly one. */
function suggest(raw) {
    const text = raw.toLowerCase();
    let best = Infinity;
    let ids = new Set();
    for (const [spelling, id] of SPELLINGS) {
        const d = (0,src_text/* editDistance */.YC)(text, spelling);
        if (d < best) {
            best = d;
            ids = new Set([id]);
        }
        else if (d === best) {
            ids.add(id);
        }
    }
    return best <= 2 && ids.size === 1 ? [...ids][0] : undefined;
}

;// CONCATENATED MODULE: ./src/plan/image.ts


/** Registries refuse longer tags (distribution reference grammar). */
const TAG_MAX_LENGTH = 128;
/** Registries refuse longer repository names, domain included. */
const NAME_MAX_LENGTH = 255;
const ACCEPTED_IMAGE = 'an image name without tag or digest: [registry[:port]/]path, path components of lower-case letters, digits and separators (. _ __ -), e.g. ghcr.io/owner/app or owner/app';
// distribution/reference grammar (after lower-casing)
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const DOMAIN_COMPONENT = '(?:[a-z0-9]|[a-z0-9][a-z0-9-]*[a-z0-9])';
const DOMAIN = new RegExp(`^(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[0-9a-f:.]+\\])(?::[0-9]+)?$`);
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
/**
 * The registry host of an image name, by Docker's rule: the first path component when it looks like
 * a host (has a dot or a port, or is localhost), else docker.io. The one home of this rule.
 */
function registryHost(name) {
    const slash = name.indexOf('/');
    const first = slash < 0 ? '' : name.slice(0, slash);
    return slash >= 0 && (first.includes('.') || first.includes(':') || first === 'localhost') ? first : 'docker.io';
}
/**
 * Validates and normalizes one image name from the `images` input: lower-cased (registries refuse
 * upper-case owners, the most common push error), checked against the reference grammar, and
 * refused when it carries a tag or digest (tags come from the `tags` input). Accepts `name=<ref>`.
 */
function parseImage(value, input = 'images') {
    const given = value.trim();
    const raw = given.startsWith('name=') ? given.slice('name='.length).trim() : given;
    const fail = (why) => {
        throw new errors/* InputError */.d(input, given, `${ACCEPTED_IMAGE} (${why})`);
    };
    if (raw === '')
        fail('empty name');
    if (raw.includes('@'))
        fail('a digest is not accepted in an image name');
    const name = raw.toLowerCase();
    const host = registryHost(name);
    const hasDomain = name.startsWith(`${host}/`);
    const domain = hasDomain ? host : '';
    const path = hasDomain ? name.slice(host.length + 1) : name;
    const components = path.split('/');
    if (components[components.length - 1].includes(':'))
        fail('a tag is not accepted in an image name; put tags in the "tags" input');
    if (hasDomain && !DOMAIN.test(domain))
        fail(`"${domain}" is not a valid registry host`);
    for (const component of components) {
        if (!PATH_COMPONENT.test(component))
            fail(`"${component}" is not a valid path component`);
    }
    if (name.length > NAME_MAX_LENGTH)
        fail(`longer than ${NAME_MAX_LENGTH} characters`);
    return name;
}
/**
 * Parses the whole `images` input: one image a line (or comma separated), or metadata-action's
 * csv form `name=ghcr.io/owner/app,enable=false`, where `name=` may be left out
 * (`ghcr.io/owner/app,enable=false`). Returns the enabled names, normalized, once each.
 */
function parseImages(raw, input = 'images') {
    const names = [];
    for (const line of parseList(raw)) {
        if (!line.includes('=')) {
            for (const item of parseList(line, { comma: true }))
                names.push(parseImage(item, input));
            continue;
        }
        let name;
        let enable = true;
        for (const [key, value] of parseKeyValues(line)) {
            // A field without `=` is the name, as metadata-action reads `ghcr.io/owner/app,enable=false`.
            if (value === '' && !/^(name|enable)$/i.test(key) && !line.includes(`${key}=`)) {
                if (name !== undefined)
                    throw new errors/* InputError */.d(input, line, 'one image a line: [name=]<image>[,enable=true|false]');
                name = parseImage(key, input);
                continue;
            }
            switch (key.toLowerCase()) {
                case 'name':
                    if (name !== undefined)
                        throw new errors/* InputError */.d(input, line, 'one image a line: [name=]<image>[,enable=true|false]');
                    name = parseImage(value, input);
                    break;
                case 'enable':
                    if (!/^(true|false)$/i.test(value))
                        throw new errors/* InputError */.d(input, line, 'enable=true or enable=false');
                    enable = value.toLowerCase() === 'true';
                    break;
                default:
                    throw new errors/* InputError */.d(input, line, '[name=]<image>[,enable=true|false]');
            }
        }
        if (name === undefined)
            throw new errors/* InputError */.d(input, line, '[name=]<image>[,enable=true|false]');
        if (enable)
            names.push(name);
    }
    return [...new Set(names)];
}
/**
 * Turns any text into a tag a registry accepts: runs of characters outside [A-Za-z0-9_.-] (slashes
 * included) become one `-`, leading `.` and `-` are dropped, and the result is cut to 128 characters.
 * May return '' when nothing usable is left.
 */
function safeTag(value) {
    return value
        .replace(/[^A-Za-z0-9_.-]+/g, '-')
        .replace(/^[.-]+/, '')
        .slice(0, TAG_MAX_LENGTH);
}
/** Checks a tag the user wrote verbatim; returns it unchanged or throws naming the input. */
function validateTag(tag, input = 'tags') {
    if (!TAG.test(tag)) {
        throw new errors/* InputError */.d(input, tag, `a tag of 1 to ${TAG_MAX_LENGTH} characters from [A-Za-z0-9_.-], not starting with "." or "-"`);
    }
    return tag;
}

// EXTERNAL MODULE: ./src/plan/versions.ts
var versions = __nccwpck_require__(3390);
;// CONCATENATED MODULE: ./src/plan/matrix.ts


/*
 * The hand-off between matrix legs and the merge job goes through the registry itself: each leg
 * tags its by-digest push with a name made of the commit, the run and the platform, so the merge
 * finds every leg from the image name alone, and two runs (of one commit or of two) never mix.
 */
function platformSlug(platforms) {
    return platforms.map((p) => p.id.replace(/\//g, '-')).join('_');
}
/** `leg-<sha7>-<run>-<platform>`: where a leg leaves its result for the merge. */
function legTag(context, runId, platforms) {
    return safeTag(`leg-${context.sha.slice(0, 7)}-${runId}-${platformSlug(platforms)}`);
}
/** Explicit `digests` (image@sha256:… or a bare sha256:…, which means the first image). */
function parseDigestRefs(items, image) {
    return items.map((item) => {
        if (/^sha256:[0-9a-f]{64}$/.test(item))
            return `${image}@${item}`;
        if (/^[^@\s]+@sha256:[0-9a-f]{64}$/.test(item))
            return item;
        throw new errors/* InputError */.d('digests', item, 'image@sha256:<64 hex> or sha256:<64 hex> references, one a line');
    });
}
/**
 * Which cache tags a build reads and writes. The default branch and releases write `<tag>`;
 * another branch or a pull request writes its own `<tag>-<branch>` and reads the default
 * branch's as a fallback, so it never evicts it. A matrix leg adds its platform, so legs never
 * overwrite each other's cache.
 */
function cacheScope(context, tag, leg) {
    const legPart = leg ? `-${platformSlug(leg)}` : '';
    const base = safeTag(`${tag}${legPart}`);
    const branch = /^refs\/heads\/(.+)$/.exec(context.ref)?.[1];
    const pr = /^refs\/pull\/(\d+)\//.exec(context.ref)?.[1];
    const onDefault = branch !== undefined && branch === (context.repo.defaultBranch ?? 'main');
    if (context.ref.startsWith('refs/tags/') || onDefault || (!branch && !pr))
        return { write: base, readOnly: [] };
    const scope = pr ? `pr-${pr}` : branch;
    return { write: safeTag(`${base}-${scope}`), readOnly: [base] };
}

;// CONCATENATED MODULE: ./src/plan/dates.ts
/**
 * Date rendering for tag and label expressions (`{{date 'YYYYMMDD' tz='Asia/Tokyo'}}`), with the
 * common moment.js format tokens, so that patterns written for docker/metadata-action keep working.
 * Built on Intl only: no date library in the bundle.
 */
const MONTHS = [
    'January',
    'February',
    'March',
    'April',
    'May',
    'June',
    'July',
    'August',
    'September',
    'October',
    'November',
    'December'
];
const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
/** moment's default format, used when an expression gives none */
const DEFAULT_DATE_FORMAT = 'YYYY-MM-DDTHH:mm:ssZ';
// Longest tokens first so that `YYYY` is not read as two `YY`; `[...]` is moment's literal escape.
const TOKENS = /\[([^\]]*)\]|YYYY|YY|Q|MMMM|MMM|MM|M|Do|DD|D|dddd|ddd|d|HH|H|hh|h|mm|m|ss|s|SSS|SS|S|A|a|ZZ|Z|X|x/g;
/** Whether Intl knows the IANA time zone (`UTC`, `Europe/Paris`, `Asia/Tokyo`, …). */
function isValidTimeZone(timeZone) {
    try {
        new Intl.DateTimeFormat('en-US', { timeZone });
        return true;
    }
    catch {
        return false;
    }
}
function fieldsIn(date, timeZone) {
    const parts = new Intl.DateTimeFormat('en-US', {
        timeZone,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
        weekday: 'long'
    }).formatToParts(date);
    const get = (type) => parts.find((p) => p.type === type)?.value ?? '0';
    const year = Number(get('year'));
    const month = Number(get('month'));
    const day = Number(get('day'));
    const hour = Number(get('hour')) % 24;
    const minute = Number(get('minute'));
    const second = Number(get('second'));
    const millisecond = date.getUTCMilliseconds();
    const wall = Date.UTC(year, month - 1, day, hour, minute, second, millisecond);
    return {
        year,
        month,
        day,
        weekday: WEEKDAYS.indexOf(get('weekday')),
        hour,
        minute,
        second,
        millisecond,
        offsetMinutes: Math.round((wall - date.getTime()) / 60000)
    };
}
function pad(value, width) {
    return String(value).padStart(width, '0');
}
function ordinal(n) {
    const tens = n % 100;
    if (tens >= 11 && tens <= 13)
        return `${n}th`;
    return `${n}${['th', 'st', 'nd', 'rd'][n % 10] ?? 'th'}`;
}
function offset(minutes, colon) {
    const sign = minutes < 0 ? '-' : '+';
    const abs = Math.abs(minutes);
    return `${sign}${pad(Math.floor(abs / 60), 2)}${colon ? ':' : ''}${pad(abs % 60, 2)}`;
}
/**
 * Renders `date` in `timeZone` (default UTC) with moment-style tokens: YYYY YY Q MMMM MMM MM M Do DD D
 * dddd ddd d HH H hh h mm m ss s SSS SS S A a ZZ Z X x, and `[literal]` text. Other characters are kept.
 * Throws a RangeError for an unknown time zone.
 */
function formatDate(date, format = DEFAULT_DATE_FORMAT, timeZone = 'UTC') {
    const f = fieldsIn(date, timeZone);
    const hour12 = f.hour % 12 === 0 ? 12 : f.hour % 12;
    return format.replace(TOKENS, (token, literal) => {
        if (literal !== undefined)
            return literal;
        switch (token) {
            case 'YYYY':
                return pad(f.year, 4);
            case 'YY':
                return pad(f.year % 100, 2);
            case 'Q':
                return String(Math.floor((f.month - 1) / 3) + 1);
            case 'MMMM':
                return MONTHS[f.month - 1];
            case 'MMM':
                return MONTHS[f.month - 1].slice(0, 3);
            case 'MM':
                return pad(f.month, 2);
            case 'M':
                return String(f.month);
            case 'Do':
                return ordinal(f.day);
            case 'DD':
                return pad(f.day, 2);
            case 'D':
                return String(f.day);
            case 'dddd':
                return WEEKDAYS[f.weekday];
            case 'ddd':
                return WEEKDAYS[f.weekday].slice(0, 3);
            case 'd':
                return String(f.weekday);
            case 'HH':
                return pad(f.hour, 2);
            case 'H':
                return String(f.hour);
            case 'hh':
                return pad(hour12, 2);
            case 'h':
                return String(hour12);
            case 'mm':
                return pad(f.minute, 2);
            case 'm':
                return String(f.minute);
            case 'ss':
                return pad(f.second, 2);
            case 's':
                return String(f.second);
            case 'SSS':
                return pad(f.millisecond, 3);
            case 'SS':
                return pad(Math.floor(f.millisecond / 10), 2);
            case 'S':
                return String(Math.floor(f.millisecond / 100));
            case 'A':
                return f.hour < 12 ? 'AM' : 'PM';
            case 'a':
                return f.hour < 12 ? 'am' : 'pm';
            case 'ZZ':
                return offset(f.offsetMinutes, false);
            case 'Z':
                return offset(f.offsetMinutes, true);
            case 'X':
                return String(Math.floor(date.getTime() / 1000));
            case 'x':
                return String(date.getTime());
            default:
                return token;
        }
    });
}

;// CONCATENATED MODULE: ./src/plan/tags/template.ts

/** The expressions that take a format and a `tz=` (all others take no argument). */
const DATE_EXPRESSIONS = ['date', 'commit_date'];
function parseTemplate(text) {
    const parts = [];
    let rest = text;
    for (;;) {
        const open = rest.indexOf('{{');
        if (open < 0)
            break;
        const close = rest.indexOf('}}', open + 2);
        if (close < 0)
            throw new Error(`"{{" without "}}" in ${JSON.stringify(text)}`);
        if (open > 0)
            parts.push(rest.slice(0, open));
        parts.push(parseExpression(rest.slice(open + 2, close)));
        rest = rest.slice(close + 2);
    }
    if (rest !== '')
        parts.push(rest);
    return parts;
}
function parseExpression(body) {
    const tokens = body.match(/[A-Za-z_][\w-]*='[^']*'|[A-Za-z_][\w-]*="[^"]*"|[A-Za-z_][\w-]*=\S+|'[^']*'|"[^"]*"|\S+/g) ?? [];
    const [name, ...rest] = tokens;
    if (!name || !/^[A-Za-z_]\w*$/.test(name))
        throw new Error(`empty or malformed expression {{${body}}}`);
    const args = [];
    const hash = {};
    for (const token of rest) {
        const eq = /^([A-Za-z_][\w-]*)=(.*)$/.exec(token);
        if (eq)
            hash[eq[1]] = template_unquote(eq[2]);
        else
            args.push(template_unquote(token));
    }
    return { name, args, hash };
}
function template_unquote(token) {
    return /^'.*'$|^".*"$/.test(token) ? token.slice(1, -1) : token;
}
/** Checks names and arguments without rendering, so a bad rule fails while inputs are read. */
function checkTemplate(text, allowed) {
    for (const part of parseTemplate(text)) {
        if (typeof part === 'string')
            continue;
        if (!allowed.includes(part.name))
            throw new Error(`unknown expression {{${part.name}}}; known here: ${allowed.join(', ')}`);
        const isDate = DATE_EXPRESSIONS.includes(part.name);
        if (!isDate && (part.args.length > 0 || Object.keys(part.hash).length > 0))
            throw new Error(`{{${part.name}}} takes no arguments`);
        if (isDate) {
            if (part.args.length > 1)
                throw new Error(`{{${part.name}}} takes one format, e.g. {{${part.name} 'YYYYMMDD'}}`);
            for (const [key, value] of Object.entries(part.hash)) {
                if (key !== 'tz')
                    throw new Error(`{{${part.name}}} knows only tz=, not ${key}=`);
                if (!isValidTimeZone(value))
                    throw new Error(`unknown time zone ${JSON.stringify(value)}`);
            }
        }
    }
}
function render(text, resolve) {
    return parseTemplate(text)
        .map((part) => (typeof part === 'string' ? part : resolve(part)))
        .join('');
}
/** Which names a template uses, e.g. to tell `{{major}}.{{minor}}` from `{{version}}`. */
function usedNames(text) {
    return new Set(parseTemplate(text).flatMap((part) => (typeof part === 'string' ? [] : [part.name])));
}

;// CONCATENATED MODULE: ./src/plan/tags/expressions.ts


/*
 * The expressions every template may use ({{branch}}, {{sha}}, {{date …}}, …): in tag rules, in the
 * flavor, and in labels and annotations.
 */
const GLOBAL_EXPRESSIONS = [
    'branch',
    'tag',
    'sha',
    'base_ref',
    'is_default_branch',
    'is_not_default_branch',
    'date',
    'commit_date'
];
const SHORT_SHA = 7;
/** `refs/heads/main` → `main` for kind `heads`; '' when the ref is of another kind. */
function refName(ref, kind) {
    const prefix = `refs/${kind}/`;
    return ref.startsWith(prefix) ? ref.slice(prefix.length) : '';
}
function prNumber(context) {
    const fromRef = /^refs\/pull\/(\d+)\//.exec(context.ref);
    if (fromRef)
        return fromRef[1];
    return context.pr ? String(context.pr.number) : '';
}
// Events that always run on the default branch's last commit (as metadata-action).
const DEFAULT_BRANCH_EVENTS = /^(schedule|create|issues|issue_comment|discussion|discussion_comment)$/;
function isDefaultBranch(context) {
    const branch = refName(context.ref, 'heads');
    if (branch === '')
        return false;
    if (context.repo.defaultBranch !== undefined && branch === context.repo.defaultBranch)
        return true;
    return DEFAULT_BRANCH_EVENTS.test(context.eventName);
}
/** The build's clock: SOURCE_DATE_EPOCH when set, as reproducible builds expect; else `now`. */
function buildDate(context, now) {
    return context.sourceDateEpoch ?? now;
}
/** The commit's time (SOURCE_DATE_EPOCH wins), falling back to `now` when unknown. */
function commitDate(context, now) {
    return context.sourceDateEpoch ?? context.commitDate ?? now;
}
function globalResolver(context, now) {
    return (e) => {
        switch (e.name) {
            case 'branch':
                return refName(context.ref, 'heads');
            case 'tag':
                return refName(context.ref, 'tags');
            case 'sha':
                return context.sha.slice(0, SHORT_SHA);
            case 'base_ref':
                // A tag push knows its branch only from the payload's base_ref (as metadata-action reads it).
                if (refName(context.ref, 'tags') !== '' && context.baseRef)
                    return context.baseRef;
                return context.pr?.baseRef ?? '';
            case 'is_default_branch':
                return String(isDefaultBranch(context));
            case 'is_not_default_branch':
                return String(!isDefaultBranch(context));
            case 'date':
                return formatDate(buildDate(context, now), e.args[0] ?? DEFAULT_DATE_FORMAT, e.hash.tz ?? 'UTC');
            case 'commit_date':
                return formatDate(commitDate(context, now), e.args[0] ?? DEFAULT_DATE_FORMAT, e.hash.tz ?? 'UTC');
            default:
                throw new Error(`unknown expression {{${e.name}}}`);
        }
    };
}
/**
 * Expands the global expressions ({{branch}}, {{tag}}, {{sha}}, {{base_ref}}, {{is_default_branch}},
 * {{is_not_default_branch}}, {{date 'fmt' tz='…'}}, {{commit_date 'fmt'}}) in a label or annotation value. Throws an Error naming
 * the bad expression; callers wrap it in an InputError for their input.
 */
function expandExpressions(text, context, now) {
    checkTemplate(text, GLOBAL_EXPRESSIONS);
    return render(text, globalResolver(context, now));
}

;// CONCATENATED MODULE: ./src/plan/tags/flavor.ts




const ACCEPTED_FLAVOR = 'one setting a line: latest=auto|true|false, prefix=<text>[,onlatest=true|false], suffix=<text>[,onlatest=true|false]';
/** Parses the `flavor` input (metadata-action syntax). Throws InputError('flavor', line, …). */
function parseFlavor(raw) {
    const flavor = { latest: 'auto', prefix: '', prefixLatest: false, suffix: '', suffixLatest: false };
    for (const line of parseList(raw)) {
        const fail = (why) => {
            throw new errors/* InputError */.d('flavor', line, `${ACCEPTED_FLAVOR} (${why})`);
        };
        const pairs = parseKeyValues(line);
        const [first, ...rest] = pairs;
        if (!first)
            continue;
        const key = first[0].toLowerCase();
        const value = first[1];
        switch (key) {
            case 'latest':
                if (!['auto', 'true', 'false'].includes(value))
                    fail(`latest must be auto, true or false, not "${value}"`);
                if (rest.length > 0)
                    fail('latest takes no other attribute');
                flavor.latest = value;
                break;
            case 'prefix':
            case 'suffix': {
                try {
                    checkTemplate(value, GLOBAL_EXPRESSIONS);
                }
                catch (err) {
                    fail(err.message);
                }
                let onLatest = false;
                for (const [k, v] of rest) {
                    if (k.toLowerCase() !== 'onlatest')
                        fail(`unknown attribute "${k}"`);
                    if (!/^(true|false)$/i.test(v))
                        fail(`onlatest must be true or false, not "${v}"`);
                    onLatest = v.toLowerCase() === 'true';
                }
                if (key === 'prefix') {
                    flavor.prefix = value;
                    flavor.prefixLatest = onLatest;
                }
                else {
                    flavor.suffix = value;
                    flavor.suffixLatest = onLatest;
                }
                break;
            }
            default:
                fail(`unknown setting "${first[0]}"`);
        }
    }
    return flavor;
}

;// CONCATENATED MODULE: ./src/plan/tags/rules.ts





const DEFAULT_PRIORITIES = {
    schedule: 1000,
    semver: 900,
    pep440: 900,
    match: 800,
    edge: 700,
    ref: 600,
    raw: 200,
    sha: 100
};
const REF_PRIORITIES = { branch: 600, tag: 500, pr: 400 };
const ACCEPTED_RULE = 'one rule a line: type=semver|pep440,pattern=…[,match=…][,value=…] | type=match,pattern=…[,group=N] | type=ref,event=branch|tag|pr | type=sha[,format=short|long] | type=raw,value=… | type=edge[,branch=…] | type=schedule[,pattern=…], with enable=true|false, priority=<integer>, prefix=, suffix=; or a bare tag; or a full image reference such as ghcr.io/acme/app:1.2.3';
const COMMON_ATTRS = ['type', 'enable', 'priority', 'prefix', 'suffix'];
const TYPE_ATTRS = {
    schedule: ['pattern'],
    semver: ['pattern', 'value', 'match'],
    pep440: ['pattern', 'value', 'match'],
    match: ['pattern', 'group', 'value'],
    edge: ['branch'],
    ref: ['event'],
    raw: ['value'],
    sha: ['format']
};
const VERSION_EXPRESSIONS = ['raw', 'version', 'major', 'minor', 'patch'];
/**
 * The rules used when `tags` is empty: metadata-action's defaults (schedule, branch, tag, pull request)
 * plus the semver expansions of a release tag and the sha.
 */
function defaultTagRules() {
    return [
        makeRule('type=schedule', { type: 'schedule', pattern: 'nightly' }),
        makeRule('type=ref,event=branch', { type: 'ref', event: 'branch' }),
        makeRule('type=ref,event=tag', { type: 'ref', event: 'tag', unlessVersion: true }),
        makeRule('type=ref,event=pr', { type: 'ref', event: 'pr', prefix: 'pr-' }),
        makeRule('type=semver,pattern={{version}}', { type: 'semver', pattern: '{{version}}' }),
        makeRule('type=semver,pattern={{major}}.{{minor}}', { type: 'semver', pattern: '{{major}}.{{minor}}' }),
        makeRule('type=semver,pattern={{major}}', { type: 'semver', pattern: '{{major}}', skipMajorZero: true }),
        makeRule('type=sha', { type: 'sha', prefix: 'sha-', format: 'short' })
    ];
}
function makeRule(raw, rule) {
    const priority = rule.type === 'ref' && rule.event ? REF_PRIORITIES[rule.event] : DEFAULT_PRIORITIES[rule.type];
    return { raw, enable: 'true', priority, ...rule };
}
/**
 * Parses the `tags` input: one metadata-action rule a line (real CSV: quote a field that holds a
 * comma, e.g. `"pattern=\d{1,3}"`); a line without `type=` is a raw tag. Empty input gives the
 * defaults. Throws InputError('tags', line, …) for an unknown type or attribute, a missing or bad value.
 */
function parseTagRules(raw) {
    const lines = parseList(raw);
    if (lines.length === 0)
        return defaultTagRules();
    return lines.map(parseTagRule);
}
/**
 * A tag written out literally must already be valid: a typo is reported, not silently rewritten.
 * Values with `{{…}}` expressions are made safe when computed, as their result is not known yet.
 */
function literalTag(value) {
    return value.includes('{{') ? value : validateTag(value, 'tags');
}
const ACCEPTED_REFERENCE = 'a full image reference [registry[:port]/]name[:tag] such as ghcr.io/acme/app:1.2.3 (the name lower-case, the tag 1 to 128 characters from [A-Za-z0-9_.-]; no digest), a bare tag, or a rule with type=';
/**
 * `ghcr.io/acme/app:latest` is that one reference, as build-push-action reads `tags`. The tag must be
 * written (`release/1.0` stays a refused tag, not the image docker.io/release/1.0:latest). The name is
 * checked as the `images` input is, not lower-cased: a reference written out must already be right.
 */
function parseReference(line) {
    const fail = (why) => {
        throw new errors/* InputError */.d('tags', line, `${ACCEPTED_REFERENCE} (${why})`);
    };
    if (line.includes('@'))
        fail('a digest cannot be a tag');
    const slash = line.lastIndexOf('/');
    const colon = line.lastIndexOf(':');
    if (colon < slash)
        fail('a reference needs its tag, e.g. ghcr.io/acme/app:latest');
    const name = line.slice(0, colon);
    const tag = line.slice(colon + 1);
    if (name !== name.toLowerCase())
        fail(`"${name}" must be lower-case`);
    const valid = (check) => {
        try {
            check();
            return true;
        }
        catch {
            return false;
        }
    };
    if (!valid(() => parseImage(name, 'tags')))
        fail(`"${name}" is not a valid image name`);
    if (!valid(() => validateTag(tag, 'tags')))
        fail(`"${tag}" is not a valid tag`);
    return makeRule(line, { type: 'raw', value: tag, image: name });
}
function parseTagRule(line) {
    const fail = (why) => {
        throw new errors/* InputError */.d('tags', line, `${ACCEPTED_RULE} (${why})`);
    };
    // A line without `=` is a tag as is (`foo` ≡ `type=raw,value=foo`), or a full image reference when it
    // holds a `:` or `@` (no tag may); a line without `type=` is raw too.
    if (!line.includes('=')) {
        if (/[:@]/.test(line))
            return parseReference(line);
        return makeRule(line, { type: 'raw', value: literalTag(line) });
    }
    const pairs = parseKeyValues(line);
    const typePair = pairs.find(([key]) => key.toLowerCase() === 'type');
    const type = typePair ? typePair[1].toLowerCase() : 'raw';
    if (!(type in TYPE_ATTRS))
        fail(`unknown type "${typePair?.[1]}"`);
    const rule = makeRule(line, { type: type });
    const allowed = [...COMMON_ATTRS, ...TYPE_ATTRS[rule.type]];
    const seen = new Set();
    for (const [rawKey, rawValue] of pairs) {
        let key = rawKey.toLowerCase();
        let value = rawValue;
        // `type=raw,foo`: a field without `=` is the value, as metadata-action reads it.
        if (rule.type === 'raw' && !allowed.includes(key) && value === '' && !line.includes(`${rawKey}=`)) {
            key = 'value';
            value = rawKey;
        }
        if (!allowed.includes(key))
            fail(`unknown attribute "${rawKey}" for type=${rule.type}; known: ${allowed.join(', ')}`);
        if (seen.has(key))
            fail(`"${key}" given twice`);
        seen.add(key);
        try {
            switch (key) {
                case 'type':
                    break;
                case 'enable':
                    if (value.includes('{{'))
                        checkTemplate(value, GLOBAL_EXPRESSIONS);
                    else if (!/^(true|false)$/i.test(value))
                        fail(`enable must be true, false or an expression such as {{is_default_branch}}, not "${value}"`);
                    rule.enable = value;
                    break;
                case 'priority':
                    if (!/^-?\d+$/.test(value))
                        fail(`priority must be an integer, not "${value}"`);
                    rule.priority = Number(value);
                    break;
                case 'prefix':
                case 'suffix':
                case 'value':
                    checkTemplate(value, GLOBAL_EXPRESSIONS);
                    rule[key] = value;
                    break;
                case 'pattern':
                    rule.pattern = value;
                    break;
                case 'event':
                    if (!['branch', 'tag', 'pr'].includes(value))
                        fail(`event must be branch, tag or pr, not "${value}"`);
                    rule.event = value;
                    break;
                case 'format':
                    if (value !== 'short' && value !== 'long')
                        fail(`format must be short or long, not "${value}"`);
                    rule.format = value;
                    break;
                case 'branch':
                    rule.branch = value;
                    break;
                case 'match':
                    rule.match = value;
                    break;
                case 'group':
                    if (!/^\d+$/.test(value))
                        fail(`group must be a capture group number, not "${value}"`);
                    rule.group = Number(value);
                    break;
            }
        }
        catch (err) {
            if (err instanceof errors/* InputError */.d)
                throw err;
            fail(err.message);
        }
    }
    try {
        finishRule(rule, seen);
    }
    catch (err) {
        if (err instanceof errors/* InputError */.d)
            throw err;
        fail(err.message);
    }
    return rule;
}
/** Per-type defaults and required attributes, once every field is read. */
function finishRule(rule, seen) {
    switch (rule.type) {
        case 'schedule':
            rule.pattern ??= 'nightly';
            checkTemplate(rule.pattern, GLOBAL_EXPRESSIONS);
            break;
        case 'semver':
        case 'pep440':
            if (!rule.pattern)
                throw new Error(`type=${rule.type} needs pattern=, e.g. pattern={{version}}`);
            checkTemplate(rule.pattern, [...VERSION_EXPRESSIONS, ...GLOBAL_EXPRESSIONS]);
            if (rule.match !== undefined)
                compileMatch(rule.match);
            break;
        case 'match':
            if (!rule.pattern)
                throw new Error('type=match needs pattern=<regular expression>');
            compileMatch(rule.pattern);
            // A group the pattern lacks is not refused here: as in metadata-action, that rule then gives no tag.
            rule.group ??= 0;
            break;
        case 'ref':
            if (!rule.event)
                throw new Error('type=ref needs event=branch, event=tag or event=pr');
            if (!seen.has('priority'))
                rule.priority = REF_PRIORITIES[rule.event];
            if (rule.event === 'pr' && !seen.has('prefix'))
                rule.prefix = 'pr-';
            break;
        case 'raw':
            if (rule.value === undefined || rule.value === '')
                throw new Error('type=raw needs value=<tag>');
            literalTag(rule.value);
            break;
        case 'sha':
            rule.format ??= 'short';
            if (!seen.has('prefix'))
                rule.prefix = 'sha-';
            break;
        case 'edge':
            break;
    }
}
/** `/regex/flags` or a plain pattern, as metadata-action; a bad regex is an input error. */
function compileMatch(pattern) {
    const literal = /^\/(.+)\/([a-z]*)$/.exec(pattern);
    try {
        return literal ? new RegExp(literal[1], literal[2]) : new RegExp(pattern);
    }
    catch (err) {
        throw new Error(`invalid regular expression: ${err.message}`);
    }
}

;// CONCATENATED MODULE: ./src/inputs/read.ts











// The command line still imports the defaults from here; they live in the spec table.

function rawInputs(read) {
    const get = (name) => {
        const value = read(name).trim();
        return value === '' ? (DEFAULTS[name] ?? '') : value;
    };
    return {
        get,
        exact: (name) => read(name),
        given: (name) => read(name).trim() !== '',
        list: (name, comma = false) => parseList(get(name), { comma })
    };
}
/** Reads and validates every input, secrets included. Throws InputError before anything is built or pushed. */
function readInputs(read, cwd = process.cwd(), native = nativePlatform()) {
    const raw = rawInputs(read);
    const mode = oneOf(raw.get('mode'), 'mode', ['build', 'platform', 'merge']);
    const push = bool(raw.get('push'), 'push');
    const load = bool(raw.get('load'), 'load');
    const builder = readBuilder(raw);
    const images = readImages(raw, mode, push || load);
    const { platforms, digests } = readPlatforms(raw, mode, images, load, native);
    const { context, file } = readBuildSource(raw, mode, cwd);
    return {
        mode,
        images,
        platforms,
        tagRules: parseTagRules(raw.get('tags')),
        flavor: parseFlavor(raw.get('flavor')),
        labels: raw.list('labels'),
        annotations: raw.list('annotations'),
        context,
        file,
        target: raw.get('target'),
        buildArgs: raw.list('build-args'),
        buildContexts: raw.list('build-contexts'),
        ...readSecrets(raw, cwd),
        ssh: raw.list('ssh'),
        network: raw.get('network'),
        addHosts: raw.list('add-hosts', true),
        shmSize: raw.get('shm-size'),
        ulimit: raw.list('ulimit'),
        provenance: readProvenance(raw, load),
        sbom: raw.get('sbom'),
        push,
        load,
        noCache: bool(raw.get('no-cache'), 'no-cache'),
        noCacheFilters: raw.list('no-cache-filters', true),
        pull: bool(raw.get('pull'), 'pull'),
        ...readCache(raw, push),
        ...builder,
        digests,
        runId: runId(raw.get('run-id')),
        ...readLimits(raw),
        dryRun: bool(raw.get('dry-run'), 'dry-run'),
        metadataSource: oneOf(raw.get('metadata-source'), 'metadata-source', ['auto', 'workflow', 'git'])
    };
}
/** QEMU, buildx and the builder: the driver decides which of the others may be set. */
function readBuilder(raw) {
    const driver = oneOf(raw.get('driver'), 'driver', ['docker-container', 'remote', 'docker']);
    const endpoint = raw.get('endpoint');
    if (driver === 'remote' && endpoint === '')
        throw new errors/* InputError */.d('endpoint', '', 'the BuildKit address (tcp://host:1234 or unix:///path) when driver is remote');
    if (driver !== 'remote' && endpoint !== '')
        throw new errors/* InputError */.d('endpoint', endpoint, 'empty unless driver is remote');
    if (driver !== 'docker-container') {
        // Only a builder the action starts itself can be given a buildkitd configuration.
        for (const name of ['buildkitd-config', 'buildkitd-config-inline', 'buildkitd-flags']) {
            if (raw.given(name))
                throw new errors/* InputError */.d(name, raw.get(name).split('\n')[0], `empty with driver ${driver}: configure that BuildKit where it runs`);
        }
    }
    const buildxVersion = raw.get('buildx-version');
    if (buildxVersion !== '')
        (0,versions/* releaseTag */.a)(buildxVersion);
    return {
        qemu: qemuMode(raw.get('qemu')),
        qemuImage: raw.get('qemu-image'),
        buildxVersion,
        buildxMirror: raw.get('buildx-mirror'),
        builder: raw.get('builder'),
        driver,
        driverOpts: raw.list('driver-opts'),
        endpoint,
        buildkitImage: raw.get('buildkit-image'),
        buildkitdConfig: raw.get('buildkitd-config'),
        buildkitdConfigInline: raw.exact('buildkitd-config-inline'),
        buildkitdFlags: raw.get('buildkitd-flags')
    };
}
function readImages(raw, mode, output) {
    const images = parseImages(raw.get('images'));
    if ((output || mode !== 'build') && images.length === 0) {
        throw new errors/* InputError */.d('images', '', 'at least one image name (e.g. ghcr.io/owner/app) when push, load or mode platform/merge is set');
    }
    return images;
}
/** What `platforms` left empty builds, unless load asks for the native platform. */
const DEFAULT_PLATFORMS = 'linux/amd64,linux/arm64';
/**
 * The platforms to build (with load and none given: the native one, the only kind the local image
 * store takes), and the merge's explicit digests.
 */
function readPlatforms(raw, mode, images, load, native) {
    const digests = raw.list('digests', true);
    if (mode === 'merge' && !raw.given('platforms') && digests.length === 0) {
        // A default here would silently leave out a platform the matrix built: the half image users ship by accident.
        throw new errors/* InputError */.d('platforms', '', 'in merge mode, the list of platforms every matrix leg built (or explicit digests)');
    }
    if (load && !raw.given('platforms'))
        return { platforms: [native], digests };
    const platformsRaw = raw.given('platforms') ? raw.get('platforms') : DEFAULT_PLATFORMS;
    const items = parseList(platformsRaw, { comma: true });
    if (items.length === 0)
        throw new errors/* InputError */.d('platforms', platformsRaw, 'at least one platform, e.g. linux/amd64,linux/arm64');
    const platforms = parsePlatforms(items);
    if (digests.length > 0)
        parseDigestRefs(digests, images[0]);
    if (load && platforms.length > 1) {
        throw new errors/* InputError */.d('platforms', platforms.map((p) => p.id).join(','), 'one platform when load is true (the local image store holds one platform per tag); leave platforms empty for the native one');
    }
    return { platforms, digests };
}
/** The context and Dockerfile must exist before a builder is started for them (a merge builds nothing). */
function readBuildSource(raw, mode, cwd) {
    const context = raw.get('context');
    const file = raw.get('file');
    const remoteContext = /^(https?:\/\/|git@|github\.com\/)|\.git(#.*)?$/.test(context);
    if (mode !== 'merge' && !remoteContext) {
        const dir = external_node_path_default().resolve(cwd, context);
        if (!(0,external_node_fs_.existsSync)(dir) || !(0,external_node_fs_.statSync)(dir).isDirectory())
            throw new errors/* InputError */.d('context', context, 'an existing directory (relative to the workspace) or a git URL');
        const dockerfile = external_node_path_default().resolve(cwd, file || external_node_path_default().join(context, 'Dockerfile'));
        if (file !== '-' && !(0,external_node_fs_.existsSync)(dockerfile))
            throw new errors/* InputError */.d('file', file || external_node_path_default().join(context, 'Dockerfile'), 'an existing Dockerfile');
    }
    return { context, file };
}
const SECRET_ID = /^[A-Za-z0-9_.-]+$/;
/** `secrets`, `secret-envs` and `secret-files`, each split into its id and what it names. */
function readSecrets(raw, cwd) {
    const secrets = secretItems(raw.exact('secrets')).map((item, index) => {
        const eq = item.indexOf('=');
        const id = eq > 0 ? item.slice(0, eq).trim() : '';
        // Never echo the item: without a valid id, any of it may be the secret itself.
        if (!SECRET_ID.test(id))
            throw new errors/* InputError */.d('secrets', `item ${index + 1} (value not shown)`, 'lines of id=value, the id made of letters, digits, _ . -');
        return { id, value: item.slice(eq + 1) };
    });
    const secretEnvs = raw.list('secret-envs', true).map((item) => {
        const [id, env] = idPair('secret-envs', item);
        if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(env))
            throw new errors/* InputError */.d('secret-envs', item, 'id=ENV_NAME, the name made of letters, digits and _');
        return { id, env };
    });
    const secretFiles = raw.list('secret-files').map((item) => {
        const [id, file] = idPair('secret-files', item);
        if (!(0,external_node_fs_.existsSync)(external_node_path_default().resolve(cwd, file)))
            throw new errors/* InputError */.d('secret-files', item, 'id=path of an existing file (relative to the workspace)');
        return { id, path: file };
    });
    return { secrets, secretEnvs, secretFiles };
}
/** `id=rest` of secret-envs and secret-files (they name a variable or a file, never a value, so the item may be shown). */
function idPair(input, item) {
    const eq = item.indexOf('=');
    const id = eq > 0 ? item.slice(0, eq).trim() : '';
    const rest = eq > 0 ? item.slice(eq + 1).trim() : '';
    if (!SECRET_ID.test(id) || rest === '')
        throw new errors/* InputError */.d(input, item, 'id=value pairs, the id made of letters, digits, _ . -');
    return [id, rest];
}
/**
 * The `secrets` items as build-push-action reads them: one a line, commas belonging to the value
 * (`tok=user=alice,password=s3cret` is one secret). An item that starts with a double quote runs
 * to the closing quote at the end of a line, so it may span lines (a PEM key); `""` inside it is
 * one quote. Values are kept exactly; blank lines are dropped.
 */
function secretItems(text) {
    const lines = text.split(/\r?\n/);
    const items = [];
    for (let i = 0; i < lines.length; i++) {
        const line = lines[i];
        if (line.trim() === '')
            continue;
        if (!line.trimStart().startsWith('"')) {
            items.push(line);
            continue;
        }
        // A quoted item: gather lines until one ends with a quote that is not half of a `""`.
        const start = i;
        let quoted = line.trimStart().slice(1);
        while (!closesQuote(quoted) && i + 1 < lines.length)
            quoted += `\n${lines[++i]}`;
        if (!closesQuote(quoted))
            throw new errors/* InputError */.d('secrets', `item ${items.length + 1} (value not shown)`, `a closing " at the end of a line for the quoted item that starts on line ${start + 1}`);
        items.push(quoted.trimEnd().slice(0, -1).replace(/""/g, '"'));
    }
    return items;
}
/** Whether a quoted item's text (after its opening quote) ends with its closing quote. */
function closesQuote(text) {
    const trailing = /"+$/.exec(text.trimEnd())?.[0].length ?? 0;
    return trailing % 2 === 1;
}
/**
 * `provenance` as buildx takes it: true, false, or its attestation's key=value options. Empty:
 * mode=min, but off with load, as build-push-action leaves it: the local image store cannot take
 * the attestation's index ("docker exporter does not currently support exporting manifest lists").
 */
function readProvenance(raw, load) {
    if (!raw.given('provenance'))
        return load ? 'false' : 'mode=min';
    const value = raw.get('provenance');
    const accepted = 'true, false, or key=value options, comma separated: mode=min|max, builder-id=<url>, version=v0.2|v1, inline-only=, reproducible=, disabled= (true|false)';
    if (/^(true|false)$/i.test(value))
        return String(bool(value, 'provenance', accepted));
    const valid = value.split(',').every((pair) => {
        const eq = pair.indexOf('=');
        const key = pair.slice(0, eq).trim();
        const option = pair.slice(eq + 1).trim();
        switch (eq > 0 ? key : '') {
            case 'mode':
                return option === 'min' || option === 'max';
            case 'builder-id':
                return option !== '';
            case 'version':
                return option === 'v0.2' || option === 'v1';
            case 'inline-only':
            case 'reproducible':
            case 'disabled':
                return option === 'true' || option === 'false';
            default:
                return false;
        }
    });
    if (!valid)
        throw new errors/* InputError */.d('provenance', value, accepted);
    return value;
}
function readCache(raw, push) {
    const setting = raw.get('cache');
    const cache = setting === 'auto' ? push : bool(setting, 'cache', 'true, false or auto');
    const cacheTag = raw.get('cache-tag');
    if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,100}$/.test(cacheTag))
        throw new errors/* InputError */.d('cache-tag', cacheTag, 'a tag name of letters, digits, _ . - (at most 101 characters)');
    return { cache, cacheTag, cacheFrom: raw.list('cache-from'), cacheTo: raw.list('cache-to') };
}
function readLimits(raw) {
    return {
        retries: integer(raw.get('retries'), 'retries', 0, 10),
        stallTimeoutMs: integer(raw.get('stall-timeout'), 'stall-timeout', 0, 24 * 3600) * 1000
    };
}
// The YAML 1.2 core schema's booleans, as @actions/core's getBooleanInput accepts them: a typo fails.
function bool(value, input, accepted = 'true or false') {
    if (['true', 'True', 'TRUE'].includes(value))
        return true;
    if (['false', 'False', 'FALSE'].includes(value))
        return false;
    throw new errors/* InputError */.d(input, value, accepted);
}
function oneOf(value, input, accepted) {
    if (accepted.includes(value))
        return value;
    throw new errors/* InputError */.d(input, value, `one of ${accepted.join(', ')}`);
}
function qemuMode(value) {
    if (['true', 'True', 'TRUE'].includes(value))
        return 'auto';
    if (['false', 'False', 'FALSE'].includes(value))
        return 'false';
    return oneOf(value, 'qemu', ['auto', 'binfmt-image', 'host', 'false']);
}
function runId(value) {
    if (value !== '' && !/^[A-Za-z0-9_.-]{1,40}$/.test(value))
        throw new errors/* InputError */.d('run-id', value, 'letters, digits, _ . - (at most 40)');
    return value;
}
function integer(value, input, min, max) {
    if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max)
        throw new errors/* InputError */.d(input, value, `a whole number from ${min} to ${max}`);
    return Number(value);
}

;// CONCATENATED MODULE: ./src/ports.ts
/** Collects secrets and masks them in any text before it is printed, whatever prints it. */
class Masker {
    secrets = new Set();
    add(value) {
        if (!value)
            return;
        for (const part of [value, ...value.split(/\r?\n/)]) {
            // Masking one or two characters would shred the whole log and hide nothing worth hiding.
            if (part.trim().length >= 3)
                this.secrets.add(part.trim());
        }
    }
    mask(text) {
        let out = text;
        for (const secret of [...this.secrets].sort((a, b) => b.length - a.length)) {
            out = out.split(secret).join('***');
        }
        return out;
    }
}

;// CONCATENATED MODULE: ./src/cli/io.ts


const COLOURS = {
    bold: '\u001b[1m',
    dim: '\u001b[2m',
    red: '\u001b[31m',
    green: '\u001b[32m',
    yellow: '\u001b[33m',
    reset: '\u001b[0m'
};
function cliEdges(options) {
    const { flags, out, isTTY } = options;
    const now = options.now ?? Date.now;
    const masker = new Masker();
    const outputs = new Map();
    const state = new Map();
    const paint = (colour, text) => isTTY ? `${COLOURS[colour]}${text}${COLOURS.reset}` : text;
    const write = (text) => {
        out.write(`${masker.mask(text)}\n`);
    };
    // Lines are stamped with the seconds since their phase began (or since the run began, between phases).
    const phaseStarts = [now()];
    const stamp = () => paint('dim', `[${seconds(now() - phaseStarts[phaseStarts.length - 1]).padStart(6)}s]`);
    const lines = (message, decorate = (l) => l) => {
        for (const line of message.split(/\r?\n/))
            write(`${stamp()} ${decorate(line)}`);
    };
    const log = {
        info: (message) => lines(message),
        warning: (message) => lines(message, (line) => paint('yellow', `warning: ${line}`)),
        debug: (message) => {
            if (options.verbose)
                lines(message, (line) => paint('dim', `debug: ${line}`));
        },
        group: async (name, fn) => {
            write(paint('bold', `▶ ${name}`));
            const start = now();
            phaseStarts.push(start);
            try {
                const value = await fn();
                phaseStarts.pop();
                write(`${paint('green', '✔')} ${paint('bold', name)} (${seconds(now() - start)} s)`);
                return value;
            }
            catch (error) {
                phaseStarts.pop();
                write(`${paint('red', '✖')} ${paint('bold', name)} failed after ${seconds(now() - start)} s`);
                throw error;
            }
        },
        setSecret: (value) => masker.add(value)
    };
    return {
        log,
        masker,
        outputs,
        print: (text) => write(text),
        input: (name) => flags.get(name) ?? '',
        setOutput: (name, value) => {
            outputs.set(name, value);
        },
        saveState: (name, value) => {
            state.set(name, value);
            if (options.stateFile)
                (0,external_node_fs_.writeFileSync)(options.stateFile, `${JSON.stringify(Object.fromEntries(state), null, 2)}\n`, { mode: 0o600 });
        },
        getState: (name) => state.get(name) ?? readStateFile(options.stateFile)[name] ?? '',
        // The job summary has no place on a terminal: the command line prints its own result table.
        summary: async () => undefined
    };
}
function readStateFile(file) {
    if (!file || !(0,external_node_fs_.existsSync)(file))
        return {};
    try {
        const parsed = JSON.parse((0,external_node_fs_.readFileSync)(file, 'utf8'));
        return parsed && typeof parsed === 'object' ? parsed : {};
    }
    catch {
        return {};
    }
}
function seconds(ms) {
    return (Math.max(0, ms) / 1000).toFixed(1);
}
/**
 * The result a person reads last: each platform's digest, the index digest and every tag pushed,
 * from the pipeline's outputs (the same values the action sets).
 */
function resultTable(outputs) {
    const digest = outputs.get('digest') ?? '';
    const tags = (outputs.get('tags') ?? '').split('\n').filter(Boolean);
    let platforms = {};
    try {
        platforms = JSON.parse(outputs.get('platform-digests') || '{}');
    }
    catch {
        platforms = {};
    }
    const rows = Object.entries(platforms).map(([platform, d]) => [platform, d]);
    rows.push(['index', digest || '(nothing pushed)']);
    tags.forEach((tag, i) => rows.push([i === 0 ? 'tags' : '', tag]));
    if (tags.length === 0)
        rows.push(['tags', '(none)']);
    const version = outputs.get('version');
    if (version)
        rows.push(['version', version]);
    const width = Math.max(...rows.map(([left]) => left.length));
    return ['Result', ...rows.map(([left, right]) => `  ${left.padEnd(width)}  ${right}`)].join('\n');
}
/**
 * Outputs as `name=value` lines, a multi-line value as `name<<DELIMITER … DELIMITER`: the format of
 * the runner's $GITHUB_OUTPUT file, so scripts can read them the same way.
 */
function formatOutputs(outputs) {
    const lines = [];
    for (const [name, value] of outputs) {
        if (!value.includes('\n')) {
            lines.push(`${name}=${value}`);
            continue;
        }
        let delimiter = 'EOF';
        while (value.split('\n').includes(delimiter))
            delimiter += '_';
        lines.push(`${name}<<${delimiter}`, value, delimiter);
    }
    return lines.join('\n');
}

// EXTERNAL MODULE: ./node_modules/semver/index.js
var semver = __nccwpck_require__(2088);
var semver_default = /*#__PURE__*/__nccwpck_require__.n(semver);
;// CONCATENATED MODULE: ./src/plan/tags/versions.ts

/** PEP 440, as the spec's appendix defines it (case-insensitive, optional leading v). */
const PEP440 = /^\s*v?(?:(?:(\d+)!)?(\d+(?:\.\d+)*)(?:[-_.]?(a|b|c|rc|alpha|beta|pre|preview)[-_.]?(\d+)?)?(?:-(\d+)|[-_.]?(post|rev|r)[-_.]?(\d+)?)?(?:[-_.]?(dev)[-_.]?(\d+)?)?)(?:\+([a-z0-9]+(?:[-_.][a-z0-9]+)*))?\s*$/i;
/** Parses and normalizes a PEP 440 version; undefined when it does not conform. */
function parsePep440(text) {
    const m = PEP440.exec(text);
    if (!m)
        return undefined;
    const epoch = m[1] ? Number(m[1]) : 0;
    const release = m[2].split('.').map(Number);
    const preLabel = m[3]?.toLowerCase();
    const pre = preLabel
        ? {
            label: { a: 'a', alpha: 'a', b: 'b', beta: 'b' }[preLabel] ?? 'rc',
            number: Number(m[4] ?? 0)
        }
        : undefined;
    const post = m[5] !== undefined ? Number(m[5]) : m[6] !== undefined ? Number(m[7] ?? 0) : undefined;
    const dev = m[8] !== undefined ? Number(m[9] ?? 0) : undefined;
    const local = m[10]?.toLowerCase().replace(/[-_]/g, '.');
    let normalized = `${epoch ? `${epoch}!` : ''}${release.join('.')}`;
    if (pre)
        normalized += `${pre.label}${pre.number}`;
    if (post !== undefined)
        normalized += `.post${post}`;
    if (dev !== undefined)
        normalized += `.dev${dev}`;
    if (local)
        normalized += `+${local}`;
    return { epoch, release, pre, post, dev, local, normalized };
}
function semverInfo(raw) {
    if (!semver_default().valid(raw))
        return undefined;
    const v = semver_default().parse(raw, { loose: true });
    if (!v)
        return undefined;
    return { version: v.version, major: v.major, minor: v.minor, patch: v.patch, prerelease: v.prerelease.join('.') };
}
function pep440Info(raw) {
    const v = parsePep440(raw);
    if (!v)
        return undefined;
    const prerelease = [
        v.pre ? `${v.pre.label}${v.pre.number}` : '',
        v.post !== undefined ? `post${v.post}` : '',
        v.dev !== undefined ? `dev${v.dev}` : ''
    ]
        .filter((s) => s !== '')
        .join('.');
    return { version: v.normalized, major: v.release[0], minor: v.release[1] ?? 0, patch: v.release[2] ?? 0, prerelease };
}
/** A git tag or value that names a pre-release (semver `-rc.1`, PEP 440 `rc1`/`dev1`) must not become latest. */
function isPreRelease(text) {
    const sv = semver_default().parse(text, { loose: true });
    if (sv)
        return sv.prerelease.length > 0;
    const pv = parsePep440(text);
    return pv !== undefined && (pv.pre !== undefined || pv.dev !== undefined);
}

;// CONCATENATED MODULE: ./src/plan/tags/compute.ts






/**
 * Applies the rules to the context: the tags in priority order (ties keep the input order), once
 * each, `latest` when the flavor asks for it; plus the full references for every image.
 * Throws InputError('tags', …) only for an enable= expression that does not give true/false.
 */
function computeTags(input) {
    const { context, flavor, now } = input;
    const globals = globalResolver(context, now);
    // One commit published under several refs (a local branch tip that is also tagged) gets the tags of
    // each ref, rule by rule, so priorities still order the union and the version comes from the tag.
    const sources = [context, ...(context.extraRefs ?? []).map((ref) => ({ ...context, ref, extraRefs: undefined }))].map((ctx) => ({ ctx, globals: ctx === context ? globals : globalResolver(ctx, now) }));
    const rules = input.rules
        .map((rule, index) => ({ rule, index }))
        .sort((a, b) => b.rule.priority - a.rule.priority || a.index - b.index)
        .map(({ rule }) => rule);
    const warnings = [];
    const order = [];
    // Tags that go on every image; a tag only a literal reference gave goes on that reference alone.
    const everyImage = new Set();
    const literalRefs = [];
    const floating = new Set();
    let wantsLatest = false;
    let versionInfo;
    for (const rule of rules) {
        for (const { ctx, globals: resolve } of sources) {
            const enable = render(rule.enable, resolve).trim().toLowerCase();
            if (enable !== 'true' && enable !== 'false') {
                throw new errors/* InputError */.d('tags', rule.raw, `enable= to give true or false; it gave "${enable}"`);
            }
            if (enable === 'false')
                continue;
            const out = applyRule(rule, ctx, resolve, warnings);
            if (out.versionInfo && !versionInfo)
                versionInfo = out.versionInfo;
            for (const produced of out.produced) {
                if (rule.image !== undefined) {
                    // A full reference the user wrote is published as written: no flavor prefix or suffix.
                    if (!order.includes(produced.tag))
                        order.push(produced.tag);
                    literalRefs.push(`${rule.image}:${produced.tag}`);
                    continue;
                }
                const prefix = rule.prefix ?? flavor.prefix;
                const suffix = rule.suffix ?? flavor.suffix;
                const tag = safeTag(`${render(prefix, resolve)}${produced.tag}${render(suffix, resolve)}`);
                if (tag === '')
                    continue;
                if (!order.includes(tag))
                    order.push(tag);
                everyImage.add(tag);
                if (produced.floating)
                    floating.add(tag);
                if (produced.wantsLatest)
                    wantsLatest = true;
            }
        }
    }
    // Like metadata-action: no rule produced a tag, so there is no version and no `latest` either.
    const isLatest = order.length > 0 && (flavor.latest === 'true' || (flavor.latest === 'auto' && wantsLatest));
    let latestTag;
    if (isLatest) {
        latestTag = safeTag(`${flavor.prefixLatest ? render(flavor.prefix, globals) : ''}latest${flavor.suffixLatest ? render(flavor.suffix, globals) : ''}`);
        if (!order.includes(latestTag))
            order.push(latestTag);
        everyImage.add(latestTag);
        floating.add(latestTag);
    }
    return {
        version: order[0] ?? '',
        tags: order,
        refs: [
            ...new Set([
                ...input.images.flatMap((image) => order.filter((tag) => everyImage.has(tag)).map((tag) => `${image}:${tag}`)),
                ...literalRefs
            ])
        ],
        floating: order.filter((tag) => floating.has(tag)),
        isLatest,
        latestTag,
        versionInfo,
        warnings: [...new Set(warnings)]
    };
}
function applyRule(rule, context, globals, warnings) {
    const tagName = refName(context.ref, 'tags');
    const branchName = refName(context.ref, 'heads');
    const plain = (tag, latest = false) => ({
        produced: tag === '' ? [] : [{ tag, floating: false, wantsLatest: latest }]
    });
    const none = { produced: [] };
    switch (rule.type) {
        case 'schedule':
            if (context.eventName !== 'schedule')
                return none;
            return plain(render(rule.pattern ?? 'nightly', globals));
        case 'semver':
        case 'pep440': {
            const given = rule.value ? render(rule.value, globals) : tagName;
            if (given === '')
                return none;
            const source = versionPart(rule, given, warnings).replace(/\//g, '-');
            const info = rule.type === 'semver' ? semverInfo(source) : pep440Info(source);
            if (!info) {
                warnings.push(`${rule.raw}: "${source}" is not a ${rule.type === 'semver' ? 'semantic version (https://semver.org)' : 'PEP 440 version'}; no tag`);
                return none;
            }
            const pattern = rule.pattern ?? '{{version}}';
            if (info.prerelease !== '') {
                // A pre-release gets only its full version, whatever the pattern, as metadata-action gives it;
                // a pattern of exactly {{raw}} keeps the version as written.
                const tag = pattern.trim() === '{{raw}}' ? source : info.version;
                return { produced: [{ tag, floating: false, wantsLatest: false }], versionInfo: info };
            }
            const names = usedNames(pattern);
            const partial = names.has('major') || names.has('minor') || names.has('patch');
            if (rule.skipMajorZero && info.major === 0)
                return { produced: [], versionInfo: info };
            const tag = render(pattern, (e) => {
                switch (e.name) {
                    case 'raw':
                        return source;
                    case 'version':
                        return info.version;
                    case 'major':
                        return String(info.major);
                    case 'minor':
                        return String(info.minor);
                    case 'patch':
                        return String(info.patch);
                    default:
                        return globals(e);
                }
            });
            const isFloating = partial && !names.has('patch') && !names.has('version') && !names.has('raw');
            return {
                produced: tag === '' ? [] : [{ tag, floating: isFloating, wantsLatest: info.prerelease === '' }],
                versionInfo: info
            };
        }
        case 'match': {
            const source = rule.value ? render(rule.value, globals) : tagName;
            if (source === '')
                return none;
            const match = compileMatch(rule.pattern ?? '').exec(source);
            if (!match) {
                warnings.push(`${rule.raw}: no match in "${source}"; no tag`);
                return none;
            }
            const group = rule.group ?? 0;
            if (group >= match.length) {
                warnings.push(`${rule.raw}: the pattern has no group ${group}; no tag`);
                return none;
            }
            const value = match[group];
            if (value === undefined || value === '') {
                warnings.push(`${rule.raw}: no match in "${source}"; no tag`);
                return none;
            }
            return plain(value, !isPreRelease(source) && !isPreRelease(value));
        }
        case 'ref':
            if (rule.event === 'branch')
                return plain(branchName);
            if (rule.event === 'tag') {
                if (rule.unlessVersion && semverInfo(tagName.replace(/\//g, '-')))
                    return none;
                return plain(tagName, tagName !== '' && !isPreRelease(tagName));
            }
            return plain(prNumber(context));
        case 'edge': {
            const edgeBranch = rule.branch || context.repo.defaultBranch;
            return branchName !== '' && branchName === edgeBranch ? plain('edge') : none;
        }
        case 'raw':
            return plain(render(rule.value ?? '', globals));
        case 'sha':
            if (!context.sha)
                return none;
            return plain(rule.format === 'long' ? context.sha : context.sha.slice(0, SHORT_SHA));
    }
}
/** semver/pep440 `match=`: its first group (else the whole match) is the version; no match keeps the value. */
function versionPart(rule, given, warnings) {
    if (rule.match === undefined)
        return given;
    const match = compileMatch(rule.match).exec(given);
    if (!match) {
        warnings.push(`${rule.raw}: match= does not match "${given}"`);
        return given;
    }
    return match[1] ?? match[0];
}

;// CONCATENATED MODULE: ./src/plan/labels.ts


const OCI = 'org.opencontainers.image';
const KEY = /^[^\s=]+$/;
// buildx --annotation's own level syntax: type[platform]:key=value
const LEVEL_PREFIX = /^((?:index|manifest|index-descriptor|manifest-descriptor)(?:\[[^\]]*\])?):(.+)$/;
function splitPair(line, input, given = line) {
    const eq = line.indexOf('=');
    const key = eq < 0 ? '' : line.slice(0, eq).trim();
    if (!KEY.test(key))
        throw new errors/* InputError */.d(input, given, 'one key=value a line, the key without spaces (e.g. org.opencontainers.image.vendor=ACME)');
    return [key, line.slice(eq + 1)];
}
/**
 * The OCI labels: title (repository name), description, url and source (repository web address),
 * version (the `version` output), created (the commit's time; SOURCE_DATE_EPOCH wins; `now` when
 * unknown), revision (sha) and licenses (SPDX id). `userLabels` (`key=value` a line, with the same
 * expressions as tags, e.g. `{{commit_date 'YYYY'}}`) override them; `key=` with nothing after the `=`
 * removes a label. Labels with no value are left out. Keys are sorted.
 */
function computeLabels(context, version, userLabels, now = new Date()) {
    const { repo } = context;
    const merged = {
        [`${OCI}.title`]: repo.fullName.split('/').pop() ?? '',
        [`${OCI}.description`]: repo.description ?? '',
        [`${OCI}.url`]: repo.htmlUrl,
        [`${OCI}.source`]: repo.htmlUrl,
        [`${OCI}.version`]: version,
        [`${OCI}.created`]: commitDate(context, now).toISOString(),
        [`${OCI}.revision`]: context.sha,
        [`${OCI}.licenses`]: repo.license ?? ''
    };
    for (const line of userLabels) {
        const [key, value] = splitPair(line, 'labels');
        try {
            merged[key] = expandExpressions(value, context, now);
        }
        catch (err) {
            throw new errors/* InputError */.d('labels', line, `key=value with known expressions (${err.message})`);
        }
    }
    return sortedNonEmpty(merged);
}
function sortedNonEmpty(record) {
    const out = {};
    for (const key of Object.keys(record).sort())
        if (record[key] !== '')
            out[key] = record[key];
    return out;
}
/**
 * buildx `--annotation` values: every label at each requested level (`index:key=value`,
 * `manifest:key=value`), then `userAnnotations` (`key=value` a line) over them. A user annotation
 * may name its own level as buildx does (`index:key=value`, `manifest[linux/amd64]:key=value`); it then
 * applies there only. `key=` removes an annotation. Output: level by level, keys sorted.
 */
function computeAnnotations(labels, userAnnotations, levels) {
    const byLevel = new Map();
    const levelOf = (level) => {
        if (!byLevel.has(level))
            byLevel.set(level, {});
        return byLevel.get(level);
    };
    for (const level of levels)
        Object.assign(levelOf(level), labels);
    const explicit = [];
    for (const line of userAnnotations) {
        const scoped = LEVEL_PREFIX.exec(line);
        if (scoped) {
            const [key, value] = splitPair(scoped[2], 'annotations', line);
            explicit.push([scoped[1], key, value]);
        }
        else {
            const [key, value] = splitPair(line, 'annotations');
            for (const level of levels)
                levelOf(level)[key] = value;
        }
    }
    // A level named in the annotation beats the unscoped form, whatever the line order.
    for (const [level, key, value] of explicit)
        levelOf(level)[key] = value;
    const out = [];
    for (const [level, record] of byLevel) {
        for (const [key, value] of Object.entries(sortedNonEmpty(record)))
            out.push(`${level}:${key}=${value}`);
    }
    return out;
}

;// CONCATENATED MODULE: ./src/plan/cache.ts
function planCache(options) {
    if (options.cacheFrom.length > 0 || options.cacheTo.length > 0) {
        const from = options.cacheFrom.map((spec) => (spec.includes('=') ? spec : `type=registry,ref=${spec}`));
        const to = options.cacheTo.map(ignoreErrors);
        const refs = [...from, ...to].map(refOf).filter((r) => !!r);
        return { from, to, refs: [...new Set(refs)] };
    }
    if (!options.enabled || !options.image)
        return { from: [], to: [], refs: [] };
    const ref = `${options.image}:${options.tag}`;
    const readOnly = (options.readOnlyTags ?? []).map((t) => `${options.image}:${t}`);
    const from = [`type=registry,ref=${ref}`, ...readOnly.map((r) => `type=registry,ref=${r}`)];
    // image-manifest + oci-mediatypes: registries that reject the older cache manifest list (ECR among them) accept this.
    const to = [`type=registry,ref=${ref},mode=max,image-manifest=true,oci-mediatypes=true,ignore-error=true`];
    return { from, to, refs: [ref, ...readOnly] };
}
function refOf(spec) {
    const m = /(?:^|,)ref=([^,]+)/.exec(spec);
    return m?.[1];
}
/** A cache export that fails must warn, not fail the build: add ignore-error unless the user chose. */
function ignoreErrors(spec) {
    const full = spec.includes('=') ? spec : `type=registry,ref=${spec}`;
    if (/(^|,)ignore-error=/.test(full) || /(^|,)type=inline\b/.test(full))
        return full;
    return `${full},ignore-error=true`;
}

;// CONCATENATED MODULE: ./src/plan/build.ts
/** The `buildx build` argv, as a pure function of the plan. */
function buildArgv(spec) {
    const argv = ['build', '--builder', spec.builder, '--progress', 'plain', '--metadata-file', spec.metadataFile];
    argv.push('--platform', spec.platforms.join(','));
    if (spec.file)
        argv.push('--file', spec.file);
    if (spec.target)
        argv.push('--target', spec.target);
    for (const arg of spec.buildArgs)
        argv.push('--build-arg', arg);
    for (const ctx of spec.buildContexts)
        argv.push('--build-context', ctx);
    for (const [key, value] of Object.entries(spec.labels))
        argv.push('--label', `${key}=${value}`);
    for (const annotation of spec.annotations)
        argv.push('--annotation', annotation);
    for (const secret of spec.secrets)
        argv.push('--secret', secret);
    for (const ssh of spec.ssh)
        argv.push('--ssh', ssh);
    if (spec.network)
        argv.push('--network', spec.network);
    for (const host of spec.addHosts)
        argv.push('--add-host', host);
    if (spec.shmSize)
        argv.push('--shm-size', spec.shmSize);
    for (const limit of spec.ulimit)
        argv.push('--ulimit', limit);
    if (spec.provenance)
        argv.push(`--provenance=${spec.provenance}`);
    if (spec.sbom)
        argv.push(`--sbom=${spec.sbom}`);
    if (spec.noCache)
        argv.push('--no-cache');
    if (spec.noCacheFilters.length > 0)
        argv.push('--no-cache-filter', spec.noCacheFilters.join(','));
    if (spec.pull)
        argv.push('--pull');
    for (const from of spec.cacheFrom)
        argv.push('--cache-from', from);
    for (const to of spec.cacheTo)
        argv.push('--cache-to', to);
    switch (spec.output.kind) {
        case 'push-by-digest':
            // Pushed by digest only: no tag moves until the whole index is in the registry.
            argv.push('--output', `type=image,name=${spec.output.image},push-by-digest=true,name-canonical=true,push=true,oci-mediatypes=true`);
            // Named on its own exporter: --tag would name the pushed image too, which a by-digest push refuses.
            if (spec.output.load)
                argv.push('--output', spec.output.load.length > 0 ? `type=docker,"name=${spec.output.load.join(',')}"` : 'type=docker');
            break;
        case 'load':
            for (const tag of spec.output.tags)
                argv.push('--tag', tag);
            argv.push('--load');
            break;
        case 'none':
            break;
    }
    argv.push(spec.context);
    return argv;
}
function createBuilderArgv(spec) {
    const argv = ['create', '--name', spec.name, '--driver', spec.driver];
    const opts = [...spec.driverOpts];
    if (spec.driver === 'docker-container' && !opts.some((o) => o.startsWith('image=')))
        opts.unshift(`image=${spec.buildkitImage}`);
    for (const opt of opts)
        argv.push('--driver-opt', opt);
    if (spec.buildkitdConfig && spec.driver !== 'remote')
        argv.push('--buildkitd-config', spec.buildkitdConfig);
    if (spec.buildkitdFlags && spec.driver !== 'remote')
        argv.push('--buildkitd-flags', spec.buildkitdFlags);
    if (spec.driver === 'remote')
        argv.push(spec.endpoint);
    return argv;
}

;// CONCATENATED MODULE: ./src/plan/steps.ts
/** `--builder NAME` when a builder is in use; imagetools also works without one. */
function builderFlag(builder) {
    return builder ? ['--builder', builder] : [];
}
function bootstrapArgv(name) {
    return ['inspect', '--bootstrap', '--builder', name];
}
function removeBuilderArgv(name) {
    return ['rm', '--force', name];
}
/** The manifest or index a reference points at, exactly as the registry stores it. */
function inspectRawArgv(builder, ref) {
    return ['imagetools', 'inspect', ...builderFlag(builder), '--raw', ref];
}
/** The image config(s) of a reference: where a version label is when the index carries no annotation. */
function inspectConfigArgv(builder, ref) {
    return ['imagetools', 'inspect', ...builderFlag(builder), '--format', '{{json .Image}}', ref];
}
/** Points `refs` at `sources` (one copied as it is; several merged into one new index). */
function imagetoolsCreateArgv(builder, refs, sources, annotations) {
    const argv = ['imagetools', 'create', ...builderFlag(builder)];
    for (const annotation of annotations)
        argv.push('--annotation', annotation);
    for (const ref of refs)
        argv.push('--tag', ref);
    return [...argv, ...sources];
}
/** The registry requests that move `put` refs, as the log shows them. */
function getRequest(source) {
    return `GET ${source}`;
}
function putRequest(ref, source) {
    return `PUT ${ref} (the bytes of ${source})`;
}
/** The publish step less the refs whose tag is held back (a floating tag that would move backwards). */
function withoutHeld(step, held) {
    const keep = (ref) => !held.includes(ref.slice(ref.lastIndexOf(':') + 1));
    return {
        ...step,
        put: step.put.filter(keep),
        imagetools: { ...step.imagetools, refs: step.imagetools.refs.filter(keep) }
    };
}
/** Every ref a publish step moves, in the order it moves them. */
function publishedRefs(step) {
    return [...step.put, ...step.imagetools.refs];
}

;// CONCATENATED MODULE: ./src/plan/plan.ts








function makePlan(inputs, context, native, now, ids) {
    const tags = computeTags({ images: inputs.images, rules: inputs.tagRules, flavor: inputs.flavor, context, now });
    if (inputs.push && inputs.mode !== 'platform' && tags.tags.length === 0) {
        throw new errors/* InputError */.d('tags', inputs.tagRules.map((r) => r.raw).join('\n') || '(defaults)', `rules that give at least one tag for a ${context.eventName} event on ${context.ref}`);
    }
    const labels = computeLabels(context, tags.version, inputs.labels, now);
    const annotations = computeAnnotations(labels, inputs.annotations, inputs.platforms.length > 1 ? ['index', 'manifest'] : ['manifest']);
    const builder = inputs.builder || (inputs.mode === 'merge' ? '' : inputs.driver === 'docker' ? 'default' : ids.builderName);
    const common = {
        mode: inputs.mode,
        platforms: inputs.platforms,
        tags,
        labels,
        annotations,
        builder
    };
    const buildxStep = { kind: 'buildx', version: inputs.buildxVersion, mirror: inputs.buildxMirror };
    if (inputs.mode === 'merge') {
        return {
            ...common,
            emulated: [],
            cache: { from: [], to: [], refs: [] },
            steps: [buildxStep, mergeSources(inputs, context, ids, builder), publishStep(inputs, tags, builder, annotations)]
        };
    }
    const leg = inputs.mode === 'platform' ? inputs.platforms : undefined;
    const scope = cacheScope(context, inputs.cacheTag, leg);
    const cache = planCache({
        enabled: inputs.cache,
        image: inputs.images[0],
        tag: scope.write,
        readOnlyTags: scope.readOnly,
        cacheFrom: inputs.cacheFrom,
        cacheTo: inputs.cacheTo
    });
    const emulated = inputs.platforms.filter((p) => !runsNatively(p, native));
    const output = inputs.push
        ? { kind: 'push-by-digest', image: inputs.images[0], ...(inputs.load ? { load: tags.refs } : {}) }
        : inputs.load
            ? { kind: 'load', tags: tags.refs }
            : { kind: 'none' };
    const steps = [];
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
            file: inputs.file,
            target: inputs.target,
            buildArgs: inputs.buildArgs,
            buildContexts: inputs.buildContexts,
            labels,
            annotations: inputs.push ? annotations : [],
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
    if (inputs.push) {
        steps.push(inputs.mode === 'platform'
            ? handOffStep(inputs.images[0], legTag(context, ids.runId, inputs.platforms), builder)
            : publishStep(inputs, tags, builder, []));
    }
    return { ...common, emulated, cache, steps };
}
/** The builder this run creates (unless one is given or the docker driver's own is used), then bootstraps. */
function builderStep(inputs, ids, name) {
    if (inputs.builder || inputs.driver === 'docker')
        return { kind: 'builder', name, bootstrap: bootstrapArgv(name) };
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
function mergeSources(inputs, context, ids, builder) {
    const image = inputs.images[0];
    if (inputs.digests.length > 0) {
        const refs = parseDigestRefs(inputs.digests, image);
        return { kind: 'check-digests', builder, platforms: inputs.platforms, refs };
    }
    return {
        kind: 'find-legs',
        builder,
        legs: inputs.platforms.map((platform) => ({ platform, ref: `${image}:${legTag(context, ids.runId, [platform])}` }))
    };
}
/**
 * The tags of a one-step build or a merge. A build has one source in the first image's
 * repository: each tag there is a PUT of its bytes, the other images' tags an imagetools copy. A
 * merge makes a new index, with the index annotations the legs' indexes carried.
 */
function publishStep(inputs, tags, builder, annotations) {
    const image = inputs.images[0];
    const merge = inputs.mode === 'merge';
    const direct = merge ? [] : tags.refs.filter((ref) => ref.startsWith(`${image}:`));
    return {
        kind: 'publish',
        builder,
        image,
        source: merge ? (inputs.digests.length > 0 ? 'digests' : 'legs') : 'build',
        put: direct,
        imagetools: {
            refs: tags.refs.filter((ref) => !direct.includes(ref)),
            annotations: merge ? annotations.filter((a) => a.startsWith('index:')) : []
        },
        floating: tags.floating.map((tag) => ({ tag, ref: `${image}:${tag}` })),
        handOff: false
    };
}
/** A matrix leg tags its push with the hand-off tag only, where the merge will look for it. */
function handOffStep(image, tag, builder) {
    return {
        kind: 'publish',
        builder,
        image,
        source: 'build',
        put: [`${image}:${tag}`],
        imagetools: { refs: [], annotations: [] },
        floating: [],
        handOff: true
    };
}
/** buildx `--secret` specs: `secrets` by the private file each value was written to, the others as given. */
function secretSpecs(inputs, paths) {
    return [
        ...inputs.secrets.map(({ id }) => `id=${id},src=${paths[id]}`),
        ...inputs.secretEnvs.map(({ id, env }) => `id=${id},env=${env}`),
        ...inputs.secretFiles.map(({ id, path }) => `id=${id},src=${path}`)
    ];
}

// EXTERNAL MODULE: ./src/tools/retry.ts
var retry = __nccwpck_require__(2765);
;// CONCATENATED MODULE: ./src/tools/qemu.ts




/**
 * Pinned, never `latest`: `latest` moved to QEMU 9.2.0 (deploy/v9.2.0-51) in February 2025 and
 * emulated arm64 builds segfaulted in libc-bin/ldconfig (docker/setup-qemu-action#198, #201,
 * tonistiigi/binfmt#240). QEMU 9.2.2 carries the upstream fix (tonistiigi/binfmt#243) and is what
 * BuildKit itself bundles (moby/buildkit#5808); the 10.1.3 image has an open libc-bin segfault
 * report (tonistiigi/binfmt#298). Override with the `qemu-image` input, e.g. for a mirror.
 */
const DEFAULT_BINFMT_IMAGE = 'tonistiigi/binfmt:qemu-v9.2.2-52';
const BINFMT_MISC_DIR = '/proc/sys/fs/binfmt_misc';
/** Where qemu-user-static (Debian, Ubuntu, Fedora) puts its handler definitions. */
const BINFMT_CONF_DIR = '/usr/lib/binfmt.d';
/**
 * Makes sure every platform this host cannot run natively has an enabled binfmt_misc handler,
 * installing only the missing ones, then checks the kernel really has them. Does nothing at all
 * (no process, no file read) when every platform is native or `mode` is false.
 */
async function setupQemu(options) {
    const { log } = options;
    const dir = options.binfmtDir ?? BINFMT_MISC_DIR;
    const foreign = options.platforms.filter((p) => !runsNatively(p, options.native));
    if (options.mode === 'false') {
        if (foreign.length > 0) {
            log.info(`qemu is false: ${ids(foreign)} must run on builder nodes of that architecture (no emulation is set up)`);
        }
        return { installed: [], present: [], skipped: 'qemu: false' };
    }
    if (foreign.length === 0)
        return { installed: [], present: [], skipped: 'all platforms native' };
    if (options.native.os !== 'linux') {
        // Docker Desktop's Linux VM registers its own emulators; there is no binfmt_misc to touch here.
        log.info(`${options.native.os} host: emulation for ${ids(foreign)} is left to the Docker engine's VM`);
        return { installed: [], present: [], skipped: `${options.native.os} host` };
    }
    // One representative platform per handler: arm/v6 and arm/v7 both need qemu-arm.
    const needed = new Map();
    for (const platform of foreign)
        if (!needed.has(emulatorFor(platform)))
            needed.set(emulatorFor(platform), platform);
    const present = [];
    const missing = [];
    for (const handler of needed.keys()) {
        const state = await readHandler(dir, handler);
        if (state?.enabled) {
            present.push(handler);
            if (!state.flags.includes('F')) {
                log.warning(`${handler} is registered without the F flag (interpreter ${state.interpreter ?? '?'}): builds in containers may fail ` +
                    `with "exec format error". Remove it (echo -1 > ${external_node_path_default().join(dir, handler)}) to let this action register a fixed one.`);
            }
        }
        else {
            missing.push(handler);
        }
    }
    if (present.length > 0)
        log.info(`QEMU handlers already registered: ${present.join(', ')}`);
    if (missing.length === 0)
        return { installed: [], present };
    const method = options.mode === 'auto' ? await chooseMethod(options) : options.mode;
    log.info(`registering ${missing.join(', ')} for ${ids(missing.map((h) => needed.get(h)))} (${method})`);
    let reported;
    if (method === 'binfmt-image') {
        reported = await installWithImage(options, missing.map((h) => needed.get(h)));
    }
    else {
        await installFromHost(options, dir, missing);
    }
    // tonistiigi/binfmt exits 0 even when a registration failed, so only the kernel's word counts.
    const failed = await stillMissing(dir, missing, reported);
    if (failed.length > 0) {
        throw new Error(`QEMU handlers ${failed.join(', ')} are still not enabled in ${dir} after installing them with ${method}; ` +
            `the build of ${ids(failed.map((h) => needed.get(h)))} would fail with "exec format error". ` +
            (method === 'binfmt-image'
                ? 'Check that the job may run privileged containers, or use qemu: host with qemu-user-static installed.'
                : 'Check that the job runs as root, or use qemu: binfmt-image on a host with Docker.'));
    }
    log.info(`installed QEMU handlers: ${missing.join(', ')}`);
    return { installed: missing, present, method };
}
/** The exact command that installs emulators for `platforms` from the binfmt image. */
function binfmtImageCommand(image, platforms) {
    const names = [...new Set(platforms.map(binfmtName))];
    return ['docker', 'run', '--privileged', '--rm', image, '--install', names.join(',')];
}
/** The handler's state, or undefined when the kernel has no such handler (or binfmt_misc is not mounted). */
async function readHandler(binfmtDir, handler) {
    let text;
    try {
        text = await (0,promises_.readFile)(external_node_path_default().join(binfmtDir, handler), 'utf8');
    }
    catch {
        return undefined;
    }
    const lines = text.split('\n').map((line) => line.trim());
    const field = (key) => lines.find((line) => line.startsWith(`${key} `) || line.startsWith(`${key}:`))?.replace(/^[^ :]+:? */, '');
    // The first line is the state itself: "enabled" or "disabled".
    return { enabled: lines[0] === 'enabled', interpreter: field('interpreter'), flags: field('flags') ?? '' };
}
/** Registers one rule the way the kernel takes it: the whole line in one write to `register`. */
async function writeRegister(binfmtDir, line) {
    const register = external_node_path_default().join(binfmtDir, 'register');
    try {
        await (0,promises_.writeFile)(register, line);
    }
    catch (error) {
        const code = error.code;
        // Someone registered the same name meanwhile; the check afterwards says whether it is usable.
        if (code === 'EEXIST')
            return;
        const hint = code === 'EACCES' || code === 'EPERM'
            ? ': registering handlers needs root; run the job as root or use qemu: binfmt-image'
            : '';
        throw new Error(`cannot write ${register} (${code ?? String(error)})${hint}`);
    }
}
async function chooseMethod(options) {
    const engine = options.dockerEngine ?? (() => dockerEngineAnswers(options.run));
    if (await engine())
        return 'binfmt-image';
    const confDir = options.confDir ?? BINFMT_CONF_DIR;
    const binDir = options.binDir ?? '/usr/bin';
    if (await hostHasQemu(confDir, binDir))
        return 'host';
    throw new Error(`qemu: auto found no way to install emulators: no Docker engine answers \`docker info\` (for the binfmt image), ` +
        `and the host has no qemu-user-static (no ${confDir}/qemu-*.conf, no ${binDir}/qemu-*-static). ` +
        'Install qemu-user-static, run on a host with Docker, or set qemu: false when every platform has a native builder node.');
}
async function dockerEngineAnswers(run) {
    try {
        const result = await run('docker', ['info', '--format', '{{.ServerVersion}}'], {
            quiet: true,
            allowFailure: true,
            stallMs: 20_000
        });
        return result.code === 0 && result.stdout.trim() !== '';
    }
    catch {
        // No docker CLI, or a DOCKER_HOST that never answers.
        return false;
    }
}
async function hostHasQemu(confDir, binDir) {
    const list = async (dir) => (0,promises_.readdir)(dir).catch(() => []);
    if ((await list(confDir)).some((name) => /^qemu-.+\.conf$/.test(name)))
        return true;
    return (await list(binDir)).some((name) => /^qemu-.+-static$/.test(name));
}
async function installWithImage(options, platforms) {
    const image = options.binfmtImage ?? DEFAULT_BINFMT_IMAGE;
    const { run, log } = options;
    // Pull only what is not here yet: every pull counts against Docker Hub's anonymous limit.
    const local = await run('docker', ['image', 'inspect', '--format', '{{.Id}}', image], {
        quiet: true,
        allowFailure: true
    });
    if (local.code !== 0) {
        await (0,retry/* withRetry */.bD)(() => run('docker', ['pull', image]), {
            retries: options.retries,
            what: `docker pull ${image}`,
            log
        });
    }
    const [command, ...args] = binfmtImageCommand(image, platforms);
    const result = await run(command, args);
    return emulatorsReported(result.stdout);
}
async function installFromHost(options, dir, handlers) {
    const confDir = options.confDir ?? BINFMT_CONF_DIR;
    // Every rule and interpreter is checked before the kernel is touched, so a failure changes nothing.
    const rules = [];
    for (const handler of handlers)
        rules.push(await hostRule(confDir, handler));
    if (!(await exists(external_node_path_default().join(dir, 'register')))) {
        try {
            await options.run('mount', ['-t', 'binfmt_misc', 'binfmt_misc', dir]);
        }
        catch (error) {
            throw new Error(`binfmt_misc is not mounted at ${dir} and mounting it failed (it needs root): ${error.message}`);
        }
    }
    const register = options.register ?? writeRegister;
    for (const rule of rules) {
        options.log.info(`registering ${rule.name} from ${rule.file} (interpreter ${rule.interpreter})`);
        await register(dir, rule.line);
    }
}
async function hostRule(confDir, handler) {
    // Debian and Ubuntu name the file after the handler; Fedora adds -static.
    const candidates = [`${handler}.conf`, `${handler}-static.conf`].map((name) => external_node_path_default().join(confDir, name));
    for (const file of candidates) {
        let text;
        try {
            text = await (0,promises_.readFile)(file, 'utf8');
        }
        catch {
            continue;
        }
        const line = text
            .split('\n')
            .map((l) => l.trim())
            .find((l) => l !== '' && !l.startsWith('#'));
        // The first character is the field separator, `:` in practice.
        const fields = line ? line.slice(1).split(line[0]) : [];
        if (!line || fields.length < 7 || !fields[5])
            throw new Error(`${file} is not a binfmt_misc rule (":name:type:offset:magic:mask:interpreter:flags")`);
        const rule = { file, line, name: fields[0], interpreter: fields[5] };
        if (rule.name !== handler)
            throw new Error(`${file} registers ${rule.name}, not ${handler}`);
        await checkInterpreter(rule);
        return rule;
    }
    throw new Error(`${handler} is needed but the host has no rule for it (looked for ${candidates.join(', ')}): install qemu-user-static or use qemu: binfmt-image`);
}
async function checkInterpreter(rule) {
    try {
        await (0,promises_.access)(rule.interpreter, promises_.constants.X_OK);
    }
    catch {
        // Debian's rules point at /usr/libexec/qemu-binfmt/*-binfmt-P, a link to /usr/bin/qemu-*-static.
        const target = await (0,promises_.lstat)(rule.interpreter)
            .then((s) => (s.isSymbolicLink() ? (0,promises_.readlink)(rule.interpreter) : undefined))
            .catch(() => undefined);
        throw new Error(`${rule.name}: interpreter ${rule.interpreter}${target ? ` (-> ${target})` : ''} named in ${rule.file} is missing or not executable: ` +
            'install qemu-user-static or use qemu: binfmt-image');
    }
}
async function stillMissing(dir, handlers, reported) {
    // When binfmt_misc is not mounted on this side, the binfmt container mounted its own view of
    // the same kernel table; its status report is then the only witness.
    if (!(await exists(external_node_path_default().join(dir, 'status'))) && !(await exists(external_node_path_default().join(dir, 'register'))) && reported) {
        return handlers.filter((h) => !reported.includes(h));
    }
    const out = [];
    for (const handler of handlers)
        if (!(await readHandler(dir, handler))?.enabled)
            out.push(handler);
    return out;
}
/** The `emulators` list tonistiigi/binfmt prints as JSON on stdout after installing. */
function emulatorsReported(stdout) {
    const start = stdout.indexOf('{');
    if (start < 0)
        return undefined;
    try {
        const status = JSON.parse(stdout.slice(start));
        return Array.isArray(status.emulators)
            ? status.emulators.filter((e) => typeof e === 'string')
            : undefined;
    }
    catch {
        return undefined;
    }
}
async function exists(file) {
    return (0,promises_.access)(file).then(() => true, () => false);
}
function ids(platforms) {
    return platforms.map((p) => p.id).join(', ');
}

// EXTERNAL MODULE: ./src/tools/buildx/find.ts
var find = __nccwpck_require__(7709);
;// CONCATENATED MODULE: ./src/tools/buildx/handle.ts
/** Runs `buildx <args>` through the process seam, in the workspace. */
function runBuildx(bx, args, options = {}) {
    return bx.run(bx.bin.command, [...bx.bin.prefix, ...args], { cwd: bx.cwd, ...options });
}

;// CONCATENATED MODULE: ./src/tools/buildx/builder.ts



/** Creates (already done by the caller's argv) and bootstraps a builder, returning what it offers. */
async function createBuilder(bx, createArgv, name) {
    await (0,retry/* withRetry */.bD)(() => runBuildx(bx, createArgv, { quiet: true }), {
        retries: bx.retries,
        what: `creating builder ${name}`,
        log: bx.log
    });
}
async function bootstrapBuilder(bx, name) {
    const out = await (0,retry/* withRetry */.bD)(() => runBuildx(bx, bootstrapArgv(name), { quiet: true }), {
        retries: bx.retries,
        what: `starting builder ${name}`,
        log: bx.log
    });
    return parseInspect(out.stdout, name);
}
/** Reads `buildx inspect` text: the driver, the platforms the nodes offer, the BuildKit version. */
function parseInspect(text, name) {
    const field = (label) => text
        .split('\n')
        .filter((line) => line.trimStart().startsWith(`${label}:`))
        .map((line) => line.slice(line.indexOf(':') + 1).trim());
    const platforms = field('Platforms')
        .flatMap((line) => line.split(','))
        .map((p) => p.replace(/\*$/, '').trim())
        .filter(Boolean);
    return {
        name,
        driver: field('Driver')[0] ?? 'unknown',
        platforms: [...new Set(platforms)],
        buildkitVersion: field('BuildKit version')[0] ?? field('Buildkit')[0] ?? 'unknown'
    };
}
async function removeBuilder(bx, name) {
    const result = await runBuildx(bx, removeBuilderArgv(name), { allowFailure: true, quiet: true });
    if (result.code === 0)
        return 'removed';
    if (/not found|no builder|does not exist/i.test(result.stderr))
        return 'absent';
    throw new Error(`removing builder ${name} failed: ${result.stderr.trim()}`);
}

;// CONCATENATED MODULE: ./src/tools/buildx/progress.ts
/**
 * What a `buildx build --progress plain` is doing, from its lines, for the stall timer: a stall
 * is no progress, not silence. BuildKit prints nothing while a RUN step works quietly (a compile,
 * `pip -q`, a link under QEMU), so the timer must not run then; it runs while nothing but
 * transfers are in progress (pulls, cache import and export, pushes), where silence does mean a
 * connection that hangs.
 *
 * The plain format: `#N [stage 2/5] RUN …` starts a Dockerfile step (headers repeat when the
 * output of several steps interleaves), `#N exporting to image` and the like start other
 * vertices, `#N DONE 0.3s`, `#N CACHED`, `#N ERROR: …` and `#N CANCELED` end one, and
 * `#N 1.234 text` is a step's output.
 */
const STEP = /^#(\d+) \[[^\]]*?\d+\/\d+\] (\S+)/;
const END = /^#(\d+) (DONE\b|CACHED$|ERROR\b|CANCELED$)/;
class BuildProgress {
    /** Vertices started and not yet ended that do work of their own (a RUN, a COPY). */
    working = new Set();
    ended = new Set();
    /** Takes one line of plain progress; returns whether the stall timer runs now. */
    watch = (text) => {
        const line = text.trim();
        const end = END.exec(line);
        if (end) {
            this.working.delete(end[1]);
            this.ended.add(end[1]);
            return this.timing;
        }
        const step = STEP.exec(line);
        // A FROM step pulls the base image: a transfer. Every other step works on the builder. Other
        // vertices (exporting, pushing, importing cache, load metadata) are transfers too. A header
        // repeated for a step that ended (a cache hit whose layers are fetched later) is a transfer.
        if (step && step[2] !== 'FROM' && !this.ended.has(step[1]))
            this.working.add(step[1]);
        return this.timing;
    };
    /** True while nothing but transfers (or nothing at all) are in progress. */
    get timing() {
        return this.working.size === 0;
    }
}

;// CONCATENATED MODULE: ./src/tools/buildx/build.ts




/** Runs one build; a stalled or transiently failed push is tried again (BuildKit's cache makes the rerun cheap). */
async function build(bx, argv, metadataFile, stallMs) {
    // The stall timer watches the build's progress: a step working silently is not a stall.
    const result = await (0,retry/* withRetry */.bD)(() => runBuildx(bx, argv, { stallMs: stallMs || undefined, watch: new BuildProgress().watch }), { retries: bx.retries, what: 'build and push', log: bx.log });
    try {
        return {
            metadata: JSON.parse(await (0,promises_.readFile)(metadataFile, 'utf8')),
            output: `${result.stdout}\n${result.stderr}`
        };
    }
    catch (error) {
        throw new Error(`buildx wrote no readable metadata file at ${metadataFile}: ${error.message}`);
    }
}
/**
 * Cache steps that failed in a build that went on (BuildKit ignores cache import errors, and
 * export errors with ignore-error=true): read from buildx's plain progress, where a step's
 * `#N importing cache manifest from REF` / `#N exporting cache to …` is followed by `#N ERROR: …`.
 */
function cacheProblems(output) {
    const steps = new Map();
    const problems = [];
    for (const line of output.split('\n')) {
        const m = /^#(\d+) (.*)$/.exec(line.trim());
        if (!m)
            continue;
        const [, id, text] = m;
        const imported = /^importing cache manifest from (\S+)/.exec(text);
        if (imported)
            steps.set(id, { direction: 'read', ref: imported[1] });
        else if (/^exporting cache to /.test(text))
            steps.set(id, { direction: 'write', ref: '' });
        else if (text.startsWith('ERROR: ') && steps.has(id))
            problems.push({ ...steps.get(id), error: text.slice('ERROR: '.length) });
    }
    return problems;
}

// EXTERNAL MODULE: ./src/tools/exec.ts + 1 modules
var tools_exec = __nccwpck_require__(5902);
;// CONCATENATED MODULE: ./src/tools/buildx/errors.ts
function describeBuildFailure(output) {
    const lines = output.split('\n').map((l) => l.trimEnd());
    const final = [...lines].reverse().find((l) => /^ERROR: /.test(l));
    // The step that failed the build: the one whose error the final line repeats. Others (a cache
    // that could not be imported) are errors BuildKit went on after.
    const steps = lines.flatMap((l, i) => (/^#\d+ ERROR: /.test(l) ? [i] : []));
    const repeated = steps.find((i) => final?.includes(lines[i].replace(/^#\d+ ERROR: /, '')));
    const errorAt = repeated ?? steps.at(-1) ?? -1;
    if (errorAt < 0 && !final)
        return undefined;
    let platform;
    let step;
    let cause = final ? stripPrefixes(final.slice('ERROR: '.length)) : '';
    if (errorAt >= 0) {
        const id = /^#(\d+) /.exec(lines[errorAt])[1];
        cause = lines[errorAt].slice(`#${id} ERROR: `.length);
        const vertex = lines.find((l) => l.startsWith(`#${id} [`));
        const m = vertex ? /^#\d+ \[(?:(\S+\/\S+) )?[^\]]*\] (.*)$/.exec(vertex) : null;
        if (m) {
            platform = m[1] && /^[a-z0-9]+\/[a-z0-9]+/.test(m[1]) ? m[1] : undefined;
            step = m[2];
        }
    }
    // The Dockerfile excerpt: `path:line` above a rule of dashes.
    let file;
    let line;
    for (let i = 0; i + 1 < lines.length; i++) {
        const loc = /^(\S+):(\d+)$/.exec(lines[i]);
        if (loc && /^-{8,}$/.test(lines[i + 1])) {
            file = loc[1];
            line = Number(loc[2]);
            break;
        }
    }
    const exit = /did not complete successfully: exit code: (\d+)/.exec(cause);
    const why = exit ? `exit code ${exit[1]}` : cause;
    const where = file && line ? `${file}:${line}: ` : '';
    const what = step ? `${step} failed: ${why}` : why;
    return { headline: `${platform ? `${platform}: ` : ''}${where}${what}`, platform, file, line };
}
/** `failed to build: failed to solve: X` says X. */
function stripPrefixes(text) {
    return text.replace(/^(failed to (build|solve|compute cache key)[^:]*: )+/, '');
}

;// CONCATENATED MODULE: ./src/pipeline/failure.ts




const AUTH = /\b401\b|unauthorized|authentication required|invalid username\/password|incorrect username or password/i;
const DENIED = /\b403\b|forbidden|denied: /i;
/**
 * One message a user can act on: what failed, where, why, and what to do. Bad input is already
 * phrased; registry refusals and exhausted retries name the registry and the last error.
 */
function explainFailure(error, images) {
    if (error instanceof errors/* InputError */.d)
        return error.message;
    const message = error instanceof Error ? error.message : String(error);
    const exec = error instanceof BuildFailed ? error.exec : error instanceof tools_exec/* ExecError */.cI ? error : undefined;
    const text = exec ? `${exec.result.stderr}\n${exec.result.stdout}` : message;
    // The registry that answered is in the failing request's URL (it may be a base image's, not ours).
    const registry = /https?:\/\/([^/\s]+)\/v2\//.exec(text)?.[1] ?? (images.length > 0 ? registryHost(images[0]) : 'the registry');
    if (AUTH.test(text)) {
        return `${registry} refused the credentials (401 Unauthorized). Log in to ${registry} before this step (docker/login-action on GitHub; docker login or a DOCKER_CONFIG holding credentials elsewhere).\n${lineMatching(text, AUTH)}`;
    }
    if (DENIED.test(text)) {
        return `${registry} denied access (403): the credentials were accepted but may not push to ${images[0] ?? 'this repository'} (on GHCR, give the workflow packages: write).\n${lineMatching(text, DENIED)}`;
    }
    if (error instanceof BuildFailed)
        return message;
    if (error instanceof retry/* RetriesExhausted */.w1) {
        const last = error.last instanceof Error ? error.last.message : String(error.last);
        return `${error.what} against ${registry} failed ${error.attempts} times; last error: ${error.lastCause}. No tag was moved unless it points at a complete index.\n${last}`;
    }
    return message;
}
/** The line that says what went wrong, without the build's surrounding output. */
function lineMatching(text, re) {
    return (text.split('\n').find((line) => re.test(line)) ?? '').trim();
}
/**
 * A `buildx build` that failed, with what its output says: the message's first line names the
 * platform, the Dockerfile location and the cause; the command's own error follows.
 */
class BuildFailed extends Error {
    exec;
    described;
    constructor(exec, described) {
        super(`${described.headline}\n${exec.message}`);
        this.exec = exec;
        this.described = described;
        this.name = 'BuildFailed';
    }
}
/** What the run failed with: the message, and where in the Dockerfile when a build step failed there. */
class Failure extends Error {
    file;
    line;
    constructor(message, file, line) {
        super(message);
        this.file = file;
        this.line = line;
        this.name = 'Failure';
    }
}
/** One `Failure` for any error a run ends with. */
function failure(error, images) {
    const where = error instanceof BuildFailed ? error.described : undefined;
    return new Failure(explainFailure(error, images), where?.file, where?.line);
}

;// CONCATENATED MODULE: ./src/pipeline/build.ts








/** Registers the QEMU handlers the step names that the kernel does not have yet. */
async function runQemu(session, step, retries) {
    const result = await setupQemu({
        mode: step.mode,
        platforms: step.platforms,
        native: nativePlatform(),
        binfmtImage: step.image,
        run: session.runner,
        log: session.log,
        retries
    });
    if (result.skipped)
        session.log.info(`no QEMU set-up: ${result.skipped}`);
}
/** The installed buildx, or the asked-for release, verified and cached. */
async function build_runBuildx(session, step, retries) {
    // The installer (tool cache, Actions cache) is loaded only when a version is asked for: it is
    // most of the bundle, and the action starts faster without it.
    const found = step.version
        ? await (await Promise.all(/* import() */[__nccwpck_require__.e(415), __nccwpck_require__.e(567)]).then(__nccwpck_require__.bind(__nccwpck_require__, 8567))).installBuildx({ version: step.version, base: step.mirror, run: session.runner, log: session.log, retries })
        : await (0,find/* findBuildx */.a)(session.runner, session.env);
    session.log.info(`buildx ${found.version} (${[found.command, ...found.prefix].join(' ')})`);
    return found;
}
/** Creates the builder (calling `created` at once, for clean-up), bootstraps it, says what it offers. */
async function runBuilder(bx, step, platforms, created) {
    if (step.create) {
        await createBuilder(bx, step.create, step.name);
        created();
    }
    const info = await bootstrapBuilder(bx, step.name);
    bx.log.info(`builder ${info.name}: driver ${info.driver}, BuildKit ${info.buildkitVersion}`);
    bx.log.info(`platforms: ${info.platforms.join(', ') || '(none listed)'}`);
    const missing = platforms.filter((p) => info.platforms.length > 0 && !info.platforms.includes(p));
    if (missing.length > 0) {
        bx.log.warning(`builder ${info.name} does not list ${missing.join(', ')}; the build may fail for them`);
    }
    return info;
}
/** The one build of every platform; a cache that could not be used is a warning, never a failure. */
async function runBuild(bx, step, cacheRefs) {
    const { metadata, output } = await build(bx, step.argv, step.metadataFile, bx.stallMs ?? 0).catch((error) => Promise.reject(buildFailed(error, step)));
    for (const problem of cacheProblems(output)) {
        const ref = problem.ref || cacheRefs.join(', ');
        // The first run of a branch, a platform or a new image has no cache yet: that is no fault.
        if (problem.direction === 'read' && /: not found$/.test(problem.error)) {
            bx.log.info(`no cache yet at ${ref}`);
            continue;
        }
        const verb = problem.direction === 'read' ? 'read' : 'written';
        bx.log.warning(`the registry cache ${ref} could not be ${verb}; the build went on without it: ${problem.error}`);
    }
    const digest = String(metadata['containerimage.digest'] ?? '');
    if (!step.pushTo)
        return { metadata, digest };
    if (!/^sha256:[0-9a-f]{64}$/.test(digest)) {
        const keys = Object.keys(metadata).join(', ') || 'empty';
        throw new Error(`the build finished but buildx reported no image digest in its metadata (${keys})`);
    }
    return { metadata, digest, source: `${step.pushTo}@${digest}` };
}
/** A failed build, described by its output; the platform named even when only one was built. */
function buildFailed(error, step) {
    if (!(error instanceof tools_exec/* ExecError */.cI))
        return error;
    const described = describeBuildFailure(`${error.result.stdout}\n${error.result.stderr}`);
    if (!described)
        return error;
    const only = step.platforms.length === 1 ? step.platforms[0].id : undefined;
    const platform = described.platform ?? only;
    const headline = described.platform || !platform ? described.headline : `${platform}: ${described.headline}`;
    return new BuildFailed(error, { ...described, platform, headline });
}

;// CONCATENATED MODULE: ./src/pipeline/dry-run.ts


/**
 * The dry run: the plan's values, then each step's commands and requests in the order a real run
 * would start them, shell-quoted so they can be pasted. Every line comes from the plan's own
 * argv functions; nothing here builds a command of its own.
 */
function printPlan(plan, log) {
    log.info(`mode: ${plan.mode}`);
    const emulated = plan.emulated.map((p) => p.id).join(', ') || 'none';
    log.info(`platforms: ${plan.platforms.map((p) => p.id).join(', ')} (emulated: ${emulated})`);
    log.info(`version: ${plan.tags.version || '(none)'}`);
    log.info(`tags:\n  ${dryRunTags(plan).join('\n  ') || '(none)'}`);
    log.info(`cache: ${plan.cache.refs.join(', ') || 'off'}`);
    for (const step of plan.steps)
        for (const line of stepLines(step, plan.steps))
            log.info(line);
}
/** What a step would run: `docker buildx …` commands, registry requests, or a sentence for the rest. */
function stepLines(step, steps) {
    const cli = (argv) => ['docker', 'buildx', ...argv].map(tools_exec/* quoteArg */.X1).join(' ');
    switch (step.kind) {
        case 'qemu':
            return [`# QEMU (${step.mode}): register the missing handlers for ${step.platforms.map((p) => p.id).join(', ')}`];
        case 'buildx':
            return [
                step.version ? `# buildx ${step.version}, verified against its release checksums` : '# the installed buildx'
            ];
        case 'builder':
            return [
                ...(step.create ? [cli(step.create)] : []),
                cli(step.bootstrap),
                ...(step.remove ? [`# clean-up, in the post step: ${cli(step.remove)}`] : [])
            ];
        case 'build':
            return [cli(step.argv)];
        case 'find-legs':
            return step.legs.map((leg) => cli(inspectRawArgv(step.builder, leg.ref)));
        case 'check-digests':
            return step.refs.map((ref) => cli(inspectRawArgv(step.builder, ref)));
        case 'publish': {
            const sources = dry_run_mergeSources(steps) ?? [`${step.image}@<digest of the build>`];
            const lines = step.floating.map((f) => cli(inspectRawArgv(step.builder, f.ref)));
            if (step.source === 'build')
                lines.unshift(`[request] ${getRequest(sources[0])}`);
            lines.push(...step.put.map((ref) => `[request] ${putRequest(ref, sources[0])}`));
            const { refs, annotations } = step.imagetools;
            if (refs.length > 0)
                lines.push(cli(imagetoolsCreateArgv(step.builder, refs, sources, annotations)));
            // A new index is read back so that the outputs describe what the registry holds.
            if (step.source !== 'build' && refs.length > 0)
                lines.push(cli(inspectRawArgv(step.builder, refs[0])));
            return lines;
        }
    }
}
/** The sources a merge would publish: the given digests, or each leg's digest once found. */
function dry_run_mergeSources(steps) {
    for (const step of steps) {
        if (step.kind === 'check-digests')
            return step.refs;
        if (step.kind === 'find-legs') {
            return step.legs.map((leg) => `${leg.ref.slice(0, leg.ref.lastIndexOf(':'))}@<digest of ${leg.ref}>`);
        }
    }
    return undefined;
}
/** The refs a run would move: a leg moves only its hand-off tag, and outputs no tags. */
function dryRunTags(plan) {
    const publish = plan.steps.find((s) => s.kind === 'publish');
    return publish ? publishedRefs(publish) : plan.tags.refs;
}

// EXTERNAL MODULE: external "node:crypto"
var external_node_crypto_ = __nccwpck_require__(7598);
;// CONCATENATED MODULE: ./src/tools/buildx/imagetools.ts




/** The manifest or index a reference points at, with its digest, or undefined when it does not exist. */
async function inspectRaw(bx, builder, ref) {
    try {
        const out = await (0,retry/* withRetry */.bD)(() => runBuildx(bx, inspectRawArgv(builder, ref), {
            quiet: true,
            stallMs: bx.stallMs || undefined
        }), {
            retries: bx.retries,
            what: `reading ${ref}`,
            log: bx.log
        });
        // --raw prints the registry's bytes unchanged, so their hash is the manifest's digest.
        return {
            manifest: JSON.parse(out.stdout),
            digest: `sha256:${(0,external_node_crypto_.createHash)('sha256').update(out.stdout).digest('hex')}`,
            raw: out.stdout
        };
    }
    catch (error) {
        if (/not found|manifest unknown|404/i.test(String(error.message)))
            return undefined;
        throw error;
    }
}
/**
 * The version label of the image a tag points to: the index annotation when there is one (one
 * request), else the `org.opencontainers.image.version` label of its image config.
 */
async function publishedVersion(bx, builder, ref) {
    const found = await inspectRaw(bx, builder, ref);
    if (!found)
        return undefined;
    const annotated = found.manifest.annotations?.['org.opencontainers.image.version'];
    if (annotated)
        return annotated;
    const out = await (0,retry/* withRetry */.bD)(() => runBuildx(bx, inspectConfigArgv(builder, ref), {
        quiet: true,
        stallMs: bx.stallMs || undefined
    }), {
        retries: bx.retries,
        what: `reading the labels of ${ref}`,
        log: bx.log
    });
    const parsed = JSON.parse(out.stdout);
    const configs = 'config' in parsed ? [parsed] : Object.values(parsed);
    return configs.map((c) => c.config?.Labels?.['org.opencontainers.image.version']).find((v) => !!v);
}
/** Platform → manifest digest of an index, attestation manifests left out. */
function imagetools_platformDigests(index) {
    const out = {};
    for (const m of index.manifests ?? []) {
        if (!m.platform || m.platform.os === 'unknown')
            continue;
        if (m.annotations?.['vnd.docker.reference.type'] === 'attestation-manifest')
            continue;
        const id = [m.platform.os, m.platform.architecture, m.platform.variant].filter(Boolean).join('/');
        out[id] = m.digest;
    }
    return out;
}
/**
 * Points every tag at the index made of `sources` (digest references): the last step, after every
 * image is in the registry. One source is copied as it is; several are merged into one index.
 */
async function tagIndex(bx, builder, refs, sources, annotations = []) {
    const argv = imagetoolsCreateArgv(builder, refs, sources, annotations);
    await (0,retry/* withRetry */.bD)(() => runBuildx(bx, argv, { quiet: true, stallMs: bx.stallMs || undefined }), {
        retries: bx.retries,
        what: 'tagging the index',
        log: bx.log
    });
}
/** The platform of a single image manifest (it names none itself): its config's os/architecture/variant. */
async function imagePlatform(bx, builder, ref) {
    const out = await (0,retry/* withRetry */.bD)(() => runBuildx(bx, inspectConfigArgv(builder, ref), { quiet: true, stallMs: bx.stallMs || undefined }), { retries: bx.retries, what: `reading the platform of ${ref}`, log: bx.log });
    const config = JSON.parse(out.stdout);
    return [config.os, config.architecture, config.variant].filter(Boolean).join('/') || 'unknown';
}

;// CONCATENATED MODULE: ./src/pipeline/merge.ts

/**
 * The digest every matrix leg left for this run, one hand-off tag per platform. A missing leg,
 * or one that holds another platform, fails the merge before anything is published: no half
 * image ships.
 */
async function findLegs(bx, step) {
    const found = await Promise.all(step.legs.map((leg) => inspectRaw(bx, step.builder, leg.ref)));
    const sources = [];
    const missing = [];
    step.legs.forEach((leg, i) => {
        const got = found[i];
        const id = leg.platform.id;
        if (!got)
            return void missing.push(`${id} (no ${leg.ref})`);
        const offers = got.manifest.manifests ? Object.keys(imagetools_platformDigests(got.manifest)) : [id];
        if (!offers.includes(id))
            return void missing.push(`${id} (${leg.ref} holds ${offers.join(', ') || 'no platform'})`);
        const source = `${leg.ref.slice(0, leg.ref.lastIndexOf(':'))}@${got.digest}`;
        bx.log.info(`${id}: ${source}`);
        sources.push(source);
    });
    if (missing.length > 0) {
        throw new Error(`merge: no leg result for ${missing.join('; ')}. Did every matrix leg run with mode: platform for this commit and run? Nothing was published.`);
    }
    return sources;
}
/**
 * Explicit `digests`: each must exist, and together they must hold exactly the requested
 * platforms, each once. Anything else fails, naming every platform missing or not asked for,
 * before a tag moves.
 */
async function checkDigests(bx, step) {
    const found = await Promise.all(step.refs.map((ref) => inspectRaw(bx, step.builder, ref)));
    const absent = step.refs.filter((_, i) => !found[i]);
    if (absent.length > 0) {
        throw new Error(`merge: ${absent.join(', ')} (from the digests input) not in the registry; nothing was published`);
    }
    const platforms = await Promise.all(found.map((got, i) => got.manifest.manifests
        ? Object.keys(imagetools_platformDigests(got.manifest))
        : imagePlatform(bx, step.builder, step.refs[i]).then((p) => [p])));
    const offered = platforms.flatMap((list, i) => list.map((platform) => ({ platform, ref: step.refs[i] })));
    const wanted = step.platforms.map((p) => p.id);
    const problems = [
        ...wanted
            .filter((id) => !offered.some((o) => o.platform === id))
            .map((id) => `${id} is in platforms but in none of the digests`),
        ...offered
            .filter((o) => !wanted.includes(o.platform))
            .map((o) => `${o.ref} holds ${o.platform}, which platforms does not list`),
        ...wanted
            .filter((id) => offered.filter((o) => o.platform === id).length > 1)
            .map((id) => `${id} is in more than one digest`)
    ];
    if (problems.length > 0) {
        throw new Error(`merge: the digests do not match platforms (${wanted.join(', ')}): ${problems.join('; ')}. Nothing was published.`);
    }
    for (const o of offered)
        bx.log.info(`${o.platform}: ${o.ref}`);
    return step.refs;
}

;// CONCATENATED MODULE: ./src/pipeline/outputs.ts

/** Every output, set on success and on a dry run alike; never silently empty (see the README). */
function setOutputs(edges, plan, result) {
    edges.setOutput('digest', result.digest);
    edges.setOutput('tags', result.tags.join('\n'));
    edges.setOutput('version', plan.tags.version);
    edges.setOutput('platform-digests', JSON.stringify(result.platformDigests));
    edges.setOutput('metadata', JSON.stringify(result.metadata));
    edges.setOutput('builder', plan.builder);
    edges.setOutput('labels', Object.entries(plan.labels)
        .map(([k, v]) => `${k}=${v}`)
        .join('\n'));
    edges.setOutput('annotations', plan.annotations.join('\n'));
    edges.setOutput('json', JSON.stringify({
        tags: result.tags,
        labels: plan.labels,
        annotations: plan.annotations,
        version: plan.tags.version,
        digest: result.digest,
        'platform-digests': result.platformDigests
    }));
}
/**
 * The `tags` output: what the rules computed, whether or not anything was pushed (as
 * metadata-action's output), less the floating tags held back; a matrix leg publishes no tags.
 */
function tagsOutput(plan, moved) {
    const publish = plan.steps.find((s) => s.kind === 'publish');
    if (publish?.handOff)
        return [];
    return moved ?? plan.tags.refs;
}
/** The job summary of a run that published (or built): what, where, and where the time went. */
function summaryMarkdown(result) {
    const { plan } = result;
    const lines = ['## Multi-arch image', '', '| | |', '|---|---|'];
    lines.push(`| Platforms | ${plan.platforms.map((p) => `\`${p.id}\``).join(' ')} |`);
    lines.push(`| Emulated | ${plan.emulated.map((p) => `\`${p.id}\``).join(' ') || 'none'} |`);
    lines.push(`| Index digest | \`${result.digest || 'not pushed'}\` |`);
    lines.push(`| Version | \`${plan.tags.version || '-'}\` |`);
    lines.push(`| Cache | ${plan.cache.refs.map((r) => `\`${r}\``).join('<br>') || 'off'} |`);
    const b = result.builder;
    lines.push(`| Builder | \`${b.name}\` (${b.driver}, BuildKit ${b.buildkitVersion}) |`);
    lines.push('', '### Tags', '');
    lines.push(...(result.tags.length ? result.tags.map((t) => `- \`${t}\``) : ['none pushed']));
    for (const h of result.held)
        lines.push(`- \`${h.tag}\` not moved (${heldNote(h)})`);
    if (Object.keys(result.platformDigests).length) {
        lines.push('', '### Platform digests', '', '| Platform | Digest |', '|---|---|');
        for (const [platform, digest] of Object.entries(result.platformDigests)) {
            lines.push(`| \`${platform}\` | \`${digest}\` |`);
        }
    }
    lines.push(...timeTable(result.timings));
    return `${lines.join('\n')}\n`;
}
/** The summary of a dry run: the plan, and the commands a real run would start. */
function dryRunMarkdown(plan, commands) {
    const lines = ['## Multi-arch image (dry run: nothing was built or pushed)', '', '| | |', '|---|---|'];
    lines.push(`| Mode | ${plan.mode} |`);
    lines.push(`| Platforms | ${plan.platforms.map((p) => `\`${p.id}\``).join(' ')} |`);
    lines.push(`| Version | \`${plan.tags.version || '-'}\` |`);
    lines.push(`| Cache | ${plan.cache.refs.map((r) => `\`${r}\``).join('<br>') || 'off'} |`);
    lines.push('', '### Tags it would move', '');
    const publish = plan.steps.find((s) => s.kind === 'publish');
    const refs = publish ? publishedRefs(publish) : [];
    lines.push(...(refs.length ? refs.map((t) => `- \`${t}\``) : ['none']));
    lines.push('', '### Steps', '', '```sh', ...commands, '```');
    return `${lines.join('\n')}\n`;
}
/** The summary of a failed run: what failed, in which phase, and which tags it was to move. */
function failureMarkdown(phase, message, plan, timings) {
    const lines = ['## Multi-arch image: failed', '', `**${phase || 'Start'}** failed:`, '', '```', message, '```'];
    const publish = plan?.steps.find((s) => s.kind === 'publish');
    if (publish) {
        lines.push('', '### Tags it was to move', '');
        lines.push('A tag only ever moves onto a complete index; none of these moved unless the log shows it.', '');
        lines.push(...publishedRefs(publish).map((t) => `- \`${t}\``));
    }
    lines.push(...timeTable(timings));
    return `${lines.join('\n')}\n`;
}
function heldNote(h) {
    return h.reason === 'prerelease' ? 'pre-release' : `stays on ${h.current}, newer than ${h.ours}`;
}
function timeTable(timings) {
    const lines = ['', '### Time', '', '| Phase | Seconds |', '|---|---|'];
    for (const [phase, seconds] of timings)
        lines.push(`| ${phase} | ${seconds.toFixed(1)} |`);
    return lines;
}

// EXTERNAL MODULE: external "node:os"
var external_node_os_ = __nccwpck_require__(8161);
var external_node_os_default = /*#__PURE__*/__nccwpck_require__.n(external_node_os_);
;// CONCATENATED MODULE: ./src/inputs/git.ts



/*
 * Where the build runs when it runs outside GitHub: read from the local git checkout, through the
 * process seam (the pipeline passes its runner; nothing here starts a process of its own).
 */
/** `SOURCE_DATE_EPOCH` (whole seconds since 1970, https://reproducible-builds.org/specs/source-date-epoch/). */
function parseSourceDateEpoch(value) {
    if (value === undefined || value.trim() === '')
        return undefined;
    if (!/^\d+$/.test(value.trim()))
        throw new errors/* InputError */.d('SOURCE_DATE_EPOCH', value, 'a whole number of seconds since 1970-01-01T00:00:00Z');
    return new Date(Number(value.trim()) * 1000);
}
/** An ISO date as git or an event payload prints it; undefined when absent or unreadable. */
function parseDate(value) {
    if (typeof value !== 'string' || value === '')
        return undefined;
    const parsed = new Date(value);
    return Number.isNaN(parsed.getTime()) ? undefined : parsed;
}
/** One git command in `dir`, quiet; its trimmed output, or undefined when it fails or prints nothing. */
async function gitMaybe(run, dir, args) {
    const result = await run('git', ['-C', dir, ...args], { quiet: true, allowFailure: true });
    const out = result.stdout.trim();
    return result.code === 0 && out !== '' ? out : undefined;
}
/** The commit's date from a checkout, or undefined when git or the commit is not there (shallow clones). */
async function gitCommitDate(run, dir, sha) {
    return parseDate(await gitMaybe(run, dir, ['log', '-1', '--format=%cI', sha, '--']));
}
/**
 * A remote's web address: `git@host:o/r.git`, `ssh://git@host:22/o/r.git` and
 * `https://user:token@host/o/r.git` all give `https://host/o/r` (credentials are never kept).
 * Undefined for local paths and unknown forms.
 */
function remoteToHttps(url) {
    const trimmed = url.trim();
    let host;
    let repoPath;
    const scp = /^(?:[^@/]+@)?([^:/]+):(?!\/)(.+)$/.exec(trimmed);
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed)) {
        let parsed;
        try {
            parsed = new URL(trimmed);
        }
        catch {
            return undefined;
        }
        if (parsed.protocol === 'file:')
            return undefined;
        const web = parsed.protocol === 'http:' || parsed.protocol === 'https:';
        host = web ? parsed.host : parsed.hostname;
        repoPath = parsed.pathname;
    }
    else if (scp) {
        host = scp[1];
        repoPath = scp[2];
    }
    else {
        return undefined;
    }
    repoPath = repoPath
        .replace(/^\/+/, '')
        .replace(/\/+$/, '')
        .replace(/\.git$/, '');
    if (!host || !repoPath)
        return undefined;
    return `https://${host.toLowerCase()}/${repoPath}`;
}
/** Picks the tag a tag push would have built: the highest semver tag, else the first by name. */
function pickTag(tags) {
    const versions = tags.filter((t) => semver_default().valid(t) !== null).sort((a, b) => semver_default().rcompare(a, b));
    return versions[0] ?? [...tags].sort()[0];
}
const lines = (text) => text?.split('\n').filter((line) => line !== '') ?? [];
/**
 * The context of a local checkout, for builds outside GitHub, shaped like the matching GitHub event:
 * - on a branch: `refs/heads/<branch>` (as a push to that branch);
 * - detached at a tagged commit (`git checkout v1.2.3`): `refs/tags/<tag>` (as the tag push),
 *   the highest semver tag when several point there;
 * - detached elsewhere: the branch whose tip is HEAD (local, then origin/*), else no ref (sha tag only).
 * A commit that is both a local branch's tip and tagged gets both refs (`ref` and `extraRefs`): the
 * natural release on a laptop (commit on main, `git tag v3.0.1`, run) publishes what the branch push
 * and the tag push would have published together.
 * GITHUB_REF in `env` overrides the ref (and no other ref is added) for CI systems that check out
 * detached commits. `dirty` says whether the work tree has changes git would not build from HEAD.
 * Repository name and web address from `remote.origin.url`; default branch from
 * `refs/remotes/origin/HEAD`, else `main`. Throws when `dir` is not a git work tree.
 */
async function contextFromGit(dir, env, run) {
    const head = await run('git', ['-C', dir, 'rev-parse', '--verify', 'HEAD^{commit}'], {
        quiet: true,
        allowFailure: true
    });
    const sha = head.stdout.trim();
    if (head.code !== 0 || sha === '') {
        const why = head.stderr.trim().split('\n')[0] || `exit code ${head.code}`;
        throw new Error(`${dir} is not a git checkout with a commit (git rev-parse HEAD failed: ${why})`);
    }
    const given = env.GITHUB_REF ?? '';
    let ref = given;
    const extraRefs = [];
    if (!ref) {
        const branch = await gitMaybe(run, dir, ['symbolic-ref', '--quiet', 'HEAD']);
        const tag = pickTag(lines(await gitMaybe(run, dir, ['tag', '--points-at', 'HEAD'])));
        const tips = lines(await gitMaybe(run, dir, [
            'for-each-ref',
            '--points-at',
            'HEAD',
            '--format=%(refname)',
            'refs/heads',
            'refs/remotes/origin'
        ]));
        const localTip = tips.find((h) => h.startsWith('refs/heads/'));
        if (branch) {
            ref = branch;
            if (tag)
                extraRefs.push(`refs/tags/${tag}`);
        }
        else if (tag) {
            ref = `refs/tags/${tag}`;
            if (localTip)
                extraRefs.push(localTip);
        }
        else {
            const remote = tips.find((h) => h.startsWith('refs/remotes/origin/') && h !== 'refs/remotes/origin/HEAD');
            if (localTip)
                ref = localTip;
            else if (remote)
                ref = `refs/heads/${remote.slice('refs/remotes/origin/'.length)}`;
        }
    }
    const remoteUrl = await gitMaybe(run, dir, ['config', '--get', 'remote.origin.url']);
    const htmlUrl = remoteUrl ? remoteToHttps(remoteUrl) : undefined;
    const fullName = htmlUrl ? new URL(htmlUrl).pathname.replace(/^\//, '') : external_node_path_default().basename(external_node_path_default().resolve(dir));
    const originHead = await gitMaybe(run, dir, ['symbolic-ref', '--quiet', 'refs/remotes/origin/HEAD']);
    const defaultBranch = originHead ? originHead.replace(/^refs\/remotes\/origin\//, '') : 'main';
    const commitDate = await gitCommitDate(run, dir, 'HEAD');
    // Untracked files count: a build context with `COPY . .` takes them in.
    const dirty = (await gitMaybe(run, dir, ['status', '--porcelain', '--untracked-files=normal'])) !== undefined;
    return {
        eventName: 'git',
        ref,
        ...(extraRefs.length > 0 ? { extraRefs } : {}),
        sha,
        repo: { fullName, htmlUrl: htmlUrl ?? '', defaultBranch },
        commitDate,
        sourceDateEpoch: parseSourceDateEpoch(env.SOURCE_DATE_EPOCH),
        runId: env.GITHUB_RUN_ID ?? `local-${Date.now().toString(36)}`,
        runAttempt: env.GITHUB_RUN_ATTEMPT ?? '1',
        dirty
    };
}

;// CONCATENATED MODULE: ./src/inputs/github.ts


function readPayload(file) {
    if (!file)
        return {};
    try {
        const parsed = JSON.parse((0,external_node_fs_.readFileSync)(file, 'utf8'));
        return parsed !== null && typeof parsed === 'object' ? parsed : {};
    }
    catch (err) {
        throw new Error(`cannot read the event payload GITHUB_EVENT_PATH=${file}: ${err.message}`);
    }
}
function str(value) {
    return typeof value === 'string' && value !== '' ? value : undefined;
}
/** `NOASSERTION` and `other` are GitHub's "unknown licence", not an SPDX id worth a label. */
function spdx(value) {
    const id = str(value);
    return id && !/^(NOASSERTION|other)$/i.test(id) ? id : undefined;
}
/**
 * The context of a GitHub Actions run: GITHUB_EVENT_NAME, GITHUB_REF, GITHUB_SHA, GITHUB_REPOSITORY,
 * GITHUB_SERVER_URL, GITHUB_RUN_ID, GITHUB_RUN_ATTEMPT, SOURCE_DATE_EPOCH and the payload at
 * GITHUB_EVENT_PATH. For pull requests the ref is `refs/pull/<n>/merge` (pull_request_target runs on
 * the base branch's ref, which must not give the base branch's tags) and the sha GITHUB_SHA, the head
 * commit's with DOCKER_METADATA_PR_HEAD_SHA=true.
 * The commit date comes from the push payload, else from the checkout in GITHUB_WORKSPACE when it has
 * the commit (for a pull request whose head is not fetched: the merge commit GITHUB_SHA).
 */
async function contextFromGitHub(env, run) {
    const payload = readPayload(env.GITHUB_EVENT_PATH);
    const eventName = env.GITHUB_EVENT_NAME ?? '';
    const repository = payload.repository ?? {};
    const fullName = str(env.GITHUB_REPOSITORY) ?? str(repository.full_name) ?? '';
    const server = (str(env.GITHUB_SERVER_URL) ?? 'https://github.com').replace(/\/+$/, '');
    const repo = {
        fullName,
        htmlUrl: str(repository.html_url) ?? (fullName ? `${server}/${fullName}` : ''),
        description: str(repository.description),
        license: spdx(repository.license?.spdx_id),
        defaultBranch: str(repository.default_branch)
    };
    let ref = env.GITHUB_REF ?? '';
    let sha = env.GITHUB_SHA ?? '';
    let pr;
    const pull = payload.pull_request;
    if (pull && typeof pull.number === 'number') {
        pr = { number: pull.number, baseRef: str(pull.base?.ref) ?? '', headRef: str(pull.head?.ref) ?? '' };
        if (!ref.startsWith('refs/pull/'))
            ref = `refs/pull/${pull.number}/merge`;
        // GITHUB_SHA (the merge commit) as metadata-action, unless the user asks for the head commit.
        if (/^true$/i.test(env.DOCKER_METADATA_PR_HEAD_SHA ?? ''))
            sha = str(pull.head?.sha) ?? sha;
    }
    // A tag push names the branch it came from in the payload's base_ref: {{base_ref}} reads it.
    const baseRef = ref.startsWith('refs/tags/') ? str(payload.base_ref)?.replace(/^refs\/heads\//, '') : undefined;
    const release = payload.release;
    if (ref === '' && str(release?.tag_name))
        ref = `refs/tags/${release.tag_name}`;
    const headCommit = payload.head_commit;
    let commitDate = headCommit && (!sha || headCommit.id === sha || !headCommit.id) ? parseDate(headCommit.timestamp) : undefined;
    if (!commitDate && env.GITHUB_WORKSPACE) {
        // A pull request's checkout is the merge commit, often without the head's history: its date
        // still agrees across matrix legs, which is what `created` needs.
        for (const candidate of new Set([sha, env.GITHUB_SHA ?? ''])) {
            if (candidate && !commitDate)
                commitDate = await gitCommitDate(run, env.GITHUB_WORKSPACE, candidate);
        }
    }
    return {
        eventName,
        ref,
        sha,
        repo,
        pr,
        ...(baseRef ? { baseRef } : {}),
        commitDate,
        sourceDateEpoch: parseSourceDateEpoch(env.SOURCE_DATE_EPOCH),
        runId: env.GITHUB_RUN_ID ?? '',
        runAttempt: env.GITHUB_RUN_ATTEMPT ?? '1'
    };
}

;// CONCATENATED MODULE: ./src/pipeline/secrets.ts


/**
 * Hides every secret value from everything the process prints, before anything is printed:
 * the `secrets` values, the variables `secret-envs` name and the contents of `secret-files`
 * (a RUN step can print any of them). Our own log goes through the Masker; the runner's mask
 * covers the rest.
 */
async function maskSecrets(inputs, sources, masker, log) {
    for (const { value } of inputs.secrets)
        hide(value, masker, log);
    for (const { env } of inputs.secretEnvs)
        hide(sources.env[env] ?? '', masker, log);
    for (const file of inputs.secretFiles)
        hide(await (0,promises_.readFile)(external_node_path_default().resolve(sources.cwd, file.path), 'utf8'), masker, log);
}
/** Writes each `secrets` value to a private file in `dir` (0600) and returns id → path, for `--secret id=…,src=…`. */
async function writeSecrets(inputs, dir) {
    const paths = {};
    for (const { id, value } of inputs.secrets) {
        const file = external_node_path_default().join(dir, `secret-${id}`);
        await (0,promises_.writeFile)(file, value, { mode: 0o600 });
        paths[id] = file;
    }
    return paths;
}
/**
 * The runner masks line by line, so a multi-line secret (a key) is registered a line at a time,
 * as is the whole value; lines shorter than 3 characters are left alone (masking `}` or a blank
 * would shred the log and hide nothing).
 */
function hide(value, masker, log) {
    masker.add(value);
    const parts = new Set([value, ...value.split(/\r?\n/)].map((part) => part.trim()));
    for (const part of parts)
        if (part.length >= 3)
            log.setSecret(part);
}

;// CONCATENATED MODULE: ./src/pipeline/prepare.ts








/** Every input, read and validated once; secret values are masked before anything can print them. */
async function readAndMask(session) {
    const inputs = readInputs(session.edges.input, session.cwd);
    await maskSecrets(inputs, { env: session.env, cwd: session.cwd }, session.masker, session.log);
    return inputs;
}
/** The commit, ref and repository: from the GitHub event, or from the local checkout. */
async function readContext(session, inputs) {
    const { env, cwd, log, runner } = session;
    const source = inputs.metadataSource === 'auto' ? (env.GITHUB_EVENT_PATH ? 'workflow' : 'git') : inputs.metadataSource;
    const context = source === 'workflow'
        ? await contextFromGitHub(env, runner)
        : await contextFromGit(external_node_path_default().resolve(cwd, env.GITHUB_WORKSPACE || '.'), env, runner);
    // Which refs the tags come from: two when a local commit is both a branch tip and tagged.
    const refs = [context.ref, ...(context.extraRefs ?? [])].join(' + ');
    log.info(`${context.eventName} ${refs} at ${context.sha.slice(0, 12)} (${source})`);
    if (context.dirty) {
        log.warning(`the working tree has uncommitted changes: the image is tagged sha-${context.sha.slice(0, 7)} but is not that commit`);
    }
    return context;
}
async function makeWorkspace(session, inputs, context) {
    const tempRoot = session.env.RUNNER_TEMP || external_node_os_default().tmpdir();
    await (0,promises_.mkdir)(tempRoot, { recursive: true });
    const tempDir = await (0,promises_.mkdtemp)(external_node_path_default().join(tempRoot, 'multiarch-'));
    const suffix = (0,external_node_crypto_.randomBytes)(3).toString('hex');
    const builderName = `multiarch-${context.runId || 'local'}-${context.runAttempt || '1'}-${suffix}`;
    let inlineBuildkitdConfig;
    if (inputs.buildkitdConfigInline) {
        inlineBuildkitdConfig = external_node_path_default().join(tempDir, 'buildkitd.toml');
        await (0,promises_.writeFile)(inlineBuildkitdConfig, inputs.buildkitdConfigInline);
    }
    const secretPaths = await writeSecrets(inputs, tempDir);
    return {
        tempDir,
        ids: {
            builderName,
            metadataFile: external_node_path_default().join(tempDir, 'metadata.json'),
            secretPaths,
            runId: inputs.runId || context.runId,
            inlineBuildkitdConfig
        }
    };
}

;// CONCATENATED MODULE: ./src/plan/tags/hold-back.ts

function comparable(version) {
    return semver_default().parse(version, { loose: true }) ?? semver_default().coerce(version, { includePrerelease: true });
}
/**
 * Keeps floating tags (`latest`, `1`, `1.2`) from moving backwards: given the version each tag points
 * to now (the `org.opencontainers.image.version` the registry holds for it), drops the floating tags
 * whose current version is higher than ours: releasing v1.1.9 after 1.2.3 leaves `1` and `latest` on
 * 1.2.3 and still moves `1.1`. A pre-release never becomes `latest`, even with flavor latest=true.
 * Tags absent from `current`, or whose version does not read as a version, move as computed.
 */
function holdBackFloating(result, current) {
    // Compare like with like: `current` holds earlier `version` outputs, so ours is our `version` output
    // when it reads as a version (it may carry the flavor's prefix/suffix), else the parsed rule version.
    const ours = semver_default().parse(result.version, { loose: true })
        ? result.version
        : (result.versionInfo?.version ?? result.version);
    const oursParsed = result.versionInfo ? comparable(ours) : null;
    const preRelease = result.versionInfo !== undefined && result.versionInfo.prerelease !== '';
    const held = [];
    const tags = result.tags.filter((tag) => {
        if (!result.floating.includes(tag))
            return true;
        const theirs = current.get(tag);
        if (tag === result.latestTag && preRelease) {
            held.push({ tag, current: theirs, ours, reason: 'prerelease' });
            return false;
        }
        if (theirs === undefined || !oursParsed)
            return true;
        const theirsParsed = comparable(theirs);
        if (theirsParsed && semver_default().gt(theirsParsed, oursParsed)) {
            held.push({ tag, current: theirs, ours, reason: 'newer' });
            return false;
        }
        return true;
    });
    return { tags, held };
}

;// CONCATENATED MODULE: ./src/tools/registry/credentials.ts
/**
 * The credentials `docker login` left for a registry: `auths` in the docker config.json, or a
 * credential helper (`docker-credential-<name> get`). Everything comes from the environment and
 * runner passed in: the config's place from its DOCKER_CONFIG or HOME, and helpers through the one
 * process seam, the key on stdin, so no secret is in argv or in the `[command]` line logged.
 */


/** The keys `docker login` may have stored a host under, the one it writes first. */
function configKeys(host) {
    return host === 'registry-1.docker.io'
        ? ['https://index.docker.io/v1/', 'index.docker.io', 'docker.io', host]
        : [host, `https://${host}`, `http://${host}`];
}
/** The credentials for `host`, or undefined when none are configured (or the config cannot be read). */
async function credentialsFor(host, source) {
    const dir = source.env.DOCKER_CONFIG || (source.env.HOME ? external_node_path_default().join(source.env.HOME, '.docker') : undefined);
    if (!dir)
        return undefined;
    let config;
    try {
        config = JSON.parse(await (0,promises_.readFile)(external_node_path_default().join(dir, 'config.json'), 'utf8'));
    }
    catch {
        return undefined;
    }
    for (const key of configKeys(host)) {
        const helper = config.credHelpers?.[key];
        if (helper)
            return helperGet(helper, key, source);
        const entry = config.auths?.[key];
        if (entry?.identitytoken)
            return { username: '<token>', password: entry.identitytoken };
        if (entry?.auth) {
            const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
            const colon = decoded.indexOf(':');
            if (colon > 0)
                return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
        }
        if (entry?.username && entry.password)
            return { username: entry.username, password: entry.password };
    }
    return config.credsStore ? helperGet(config.credsStore, configKeys(host)[0], source) : undefined;
}
/**
 * Asks a credential helper, as the docker CLI does: `get`, the server key on stdin, JSON on stdout.
 * A helper that is missing, fails or knows nothing for the key leaves the request without
 * credentials; the registry's refusal then says what is wrong.
 */
async function helperGet(helper, key, source) {
    let stdout;
    try {
        const result = await source.run(`docker-credential-${helper}`, ['get'], {
            env: source.env,
            input: key,
            quiet: true,
            allowFailure: true
        });
        if (result.code !== 0)
            return undefined;
        stdout = result.stdout;
    }
    catch {
        return undefined;
    }
    try {
        const parsed = JSON.parse(stdout);
        return parsed.Secret ? { username: parsed.Username ?? '', password: parsed.Secret } : undefined;
    }
    catch {
        return undefined;
    }
}

;// CONCATENATED MODULE: ./src/tools/registry/refs.ts
/** Image references as the registry API needs them: the host, the repository, the tag or digest. */

/** `host[:port]/path` (Docker Hub names too) → the registry host and repository the API uses. */
function refs_parseName(name) {
    let host = registryHost(name);
    let repository = name.startsWith(`${host}/`) ? name.slice(host.length + 1) : name;
    if (host === 'docker.io' || host === 'index.docker.io') {
        host = 'registry-1.docker.io';
        if (!repository.includes('/'))
            repository = `library/${repository}`;
    }
    return { host, repository };
}
/** `name:tag` → name and tag; `name@sha256:…` → name and digest. */
function refs_splitRef(ref) {
    const at = ref.indexOf('@');
    if (at >= 0)
        return { name: ref.slice(0, at), digest: ref.slice(at + 1) };
    const colon = ref.lastIndexOf(':');
    if (colon < 0 || ref.lastIndexOf('/') > colon)
        return { name: ref };
    return { name: ref.slice(0, colon), tag: ref.slice(colon + 1) };
}
/** `host/repo:tag` and `host/repo@sha256:…` name the same repository. */
function sameRepository(tagRef, digestRef) {
    return refs_splitRef(tagRef).name === refs_splitRef(digestRef).name;
}

;// CONCATENATED MODULE: ./src/tools/registry/client.ts
/**
 * Reads the index the build pushed and points tags at it with one request each: a GET of its exact
 * bytes by digest, then a PUT of those bytes under every tag. `buildx imagetools create` does the
 * same with ~30 requests (it walks every child manifest and blob first) and gives up on the first
 * dropped connection, and `imagetools inspect` fails on a dropped HEAD; under registry faults the
 * publishing step, not the build, is what failed. Each call makes one attempt and says by the type
 * of its error whether another may help (TransientError, with the server's Retry-After) or not;
 * the caller's withRetry is the one retry policy. Anything this cannot do (an unsupported auth
 * scheme, a registry reachable only through BuildKit's configuration, another repository) is a
 * RegistryRefused, and the caller falls back to imagetools.
 */




/** A refusal trying again cannot fix (auth, a bad manifest, an unsupported scheme): fall back to imagetools. */
class RegistryRefused extends retry/* PermanentError */.Dr {
    constructor(message) {
        super(message);
        this.name = 'RegistryRefused';
    }
}
/**
 * The one retry policy for one registry request, given the `retries` a step is allowed. BuildKit
 * tries each of its own registry requests up to three times inside every attempt of a build step;
 * a request of ours is a step of one request, so it gets the same budget in one policy (three
 * tries for every attempt of a step), with a shorter back-off to match.
 */
function requestRetry(retries) {
    return { retries: (retries + 1) * 3 - 1, baseDelayMs: 250, maxDelayMs: 4000 };
}
const INDEX_TYPES = [
    'application/vnd.oci.image.index.v1+json',
    'application/vnd.docker.distribution.manifest.list.v2+json',
    'application/vnd.oci.image.manifest.v1+json',
    'application/vnd.docker.distribution.manifest.v2+json'
];
/** The manifest `ref` (`name@sha256:…`) points at, its exact bytes checked against the digest. */
async function getManifest(ref, options) {
    const { name, digest } = refs_splitRef(ref);
    if (!digest)
        throw new RegistryRefused(`${ref} is not a digest reference`);
    const res = await request(refs_parseName(name), 'GET', `manifests/${digest}`, { headers: { Accept: INDEX_TYPES.join(', ') } }, options);
    const bytes = await body(res, `GET ${ref}`, async (r) => Buffer.from(await r.arrayBuffer()));
    const actual = `sha256:${(0,external_node_crypto_.createHash)('sha256').update(bytes).digest('hex')}`;
    // Bytes that do not hash to the digest asked for are a read cut short: another GET may get them all.
    if (actual !== digest)
        throw new retry/* TransientError */.N_(`GET ${ref}: the body read (${bytes.length} bytes) hashes to ${actual}, not to its digest`);
    const raw = bytes.toString('utf8');
    let mediaType;
    try {
        mediaType = JSON.parse(raw).mediaType ?? res.headers.get('content-type') ?? '';
    }
    catch {
        throw new RegistryRefused(`${ref} is not a JSON manifest`);
    }
    if (!INDEX_TYPES.includes(mediaType))
        throw new RegistryRefused(`${ref} has media type "${mediaType}"`);
    return { raw, digest, mediaType };
}
/** PUTs `raw` (a manifest's exact bytes, whose digest is `digest`) under `ref`'s tag. */
async function putTag(ref, raw, mediaType, digest, options) {
    const { name, tag } = refs_splitRef(ref);
    if (!tag)
        throw new RegistryRefused(`${ref} is not a tag reference`);
    const res = await request(refs_parseName(name), 'PUT', `manifests/${encodeURIComponent(tag)}`, { headers: { 'Content-Type': mediaType }, body: raw }, options);
    await res.body?.cancel();
    const stored = res.headers.get('docker-content-digest');
    if (stored && stored !== digest)
        throw new RegistryRefused(`PUT ${ref} stored ${stored}, not ${digest}`);
}
/**
 * Deletes the manifest `ref` (`name@sha256:…`) names. 'unsupported' when the registry does not
 * allow deletes (405, or its UNSUPPORTED error code): the caller leaves the manifest in place.
 */
async function deleteManifest(ref, options) {
    const { name, digest } = splitRef(ref);
    if (!digest)
        throw new RegistryRefused(`${ref} is not a digest reference`);
    const target = parseName(name);
    const url = apiUrl(target, `manifests/${digest}`);
    const res = await exchange(target, url, 'DELETE', { headers: {} }, options);
    if (res.ok) {
        await res.body?.cancel();
        return 'deleted';
    }
    if (res.status === 405) {
        await res.body?.cancel();
        return 'unsupported';
    }
    const text = await res.text().catch(() => '');
    if (res.status < 500 && res.status !== 429 && /"code"\s*:\s*"UNSUPPORTED"/.test(text))
        return 'unsupported';
    throw answerError(res, `DELETE ${url}`, text);
}
/** Loopback registries speak plain HTTP, as Docker and buildx allow without configuration. */
function scheme(host) {
    const name = host.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
    return name === 'localhost' || name === '::1' || /^127\./.test(name) ? 'http' : 'https';
}
function apiUrl(target, suffix) {
    return `${scheme(target.host)}://${target.host}/v2/${target.repository}/${suffix}`;
}
/**
 * One registry API request with the credentials `docker login` left. Returns a 2xx response; a
 * dropped connection, a timeout, a 5xx or a 429 is a TransientError (with Retry-After), any other
 * answer a RegistryRefused.
 */
async function request(target, method, suffix, init, options) {
    const url = apiUrl(target, suffix);
    const res = await exchange(target, url, method, init, options);
    if (res.ok)
        return res;
    throw answerError(res, `${method} ${url}`, await res.text().catch(() => ''));
}
/**
 * Sends the request and returns whatever the registry answers. A 401 is met by sending it once
 * more with credentials, as the challenge asks: that is authentication, not a retry.
 */
async function exchange(target, url, method, init, options) {
    const timeoutMs = options.timeoutMs ?? 60_000;
    const res = await send(url, { method, headers: init.headers, body: init.body }, timeoutMs);
    if (res.status !== 401)
        return res;
    await res.body?.cancel();
    const auth = await authorization(res.headers.get('www-authenticate') ?? '', target, options, timeoutMs);
    return send(url, { method, headers: { ...init.headers, Authorization: auth }, body: init.body }, timeoutMs);
}
/** The error for a non-2xx answer: transient for a 5xx or a 429 (with the wait it asked for), else a refusal. */
function answerError(res, what, text) {
    const said = text.trim().slice(0, 300);
    const message = `${what} answered ${res.status} ${res.statusText}${said ? `: ${said}` : ''}`;
    if (res.status === 429 || res.status >= 500)
        return new retry/* TransientError */.N_(message, retryAfterMs(res.headers.get('retry-after')));
    return new RegistryRefused(message);
}
/** Retry-After: delay-seconds or an HTTP date. */
function retryAfterMs(header) {
    const value = header?.trim();
    if (!value)
        return undefined;
    if (/^\d+$/.test(value))
        return Number(value) * 1000;
    const at = Date.parse(value);
    return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}
/** Sends one request. A dropped connection or a timeout is transient; a TLS failure is not. */
async function send(url, init, timeoutMs) {
    try {
        return await fetch(url, { ...init, redirect: 'follow', signal: AbortSignal.timeout(timeoutMs) });
    }
    catch (error) {
        throw failedTransfer(error, `${init.method} ${url}`, timeoutMs);
    }
}
/** Reads a response body; the connection can still drop or time out here, after the headers. */
async function body(res, what, read) {
    try {
        return await read(res);
    }
    catch (error) {
        throw failedTransfer(error, what);
    }
}
function failedTransfer(error, what, timeoutMs) {
    const cause = error.cause;
    const why = cause?.code ?? cause?.message ?? error.message;
    if (error.name === 'TimeoutError')
        return new retry/* TransientError */.N_(`${what}: request timed out${timeoutMs ? ` after ${timeoutMs / 1000} s` : ''}`, undefined, {
            cause: error
        });
    if (/CERT|TLS|SSL|self.signed|EPROTO/i.test(why))
        return new RegistryRefused(`${what}: ${why}`);
    return new retry/* TransientError */.N_(`${what}: connection dropped (${why})`, undefined, { cause: error });
}
function challengeParams(header) {
    const space = header.indexOf(' ');
    const params = {};
    for (const m of header.slice(space + 1).matchAll(/(\w+)="([^"]*)"/g))
        params[m[1].toLowerCase()] = m[2];
    return { scheme: header.slice(0, space < 0 ? undefined : space).toLowerCase(), params };
}
/** The Authorization header a 401's challenge asks for: Basic from the credentials, or a Bearer token for them. */
async function authorization(challenge, target, options, timeoutMs) {
    const credentials = await credentialsFor(target.host, options);
    const basic = credentials
        ? `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`
        : undefined;
    const { scheme: kind, params } = challengeParams(challenge);
    if (kind === 'basic') {
        if (!basic)
            throw new RegistryRefused(`${target.host} asks for credentials and none are configured for it`);
        return basic;
    }
    if (kind !== 'bearer' || !params.realm)
        throw new RegistryRefused(`${target.host} asks for an unsupported authentication (${challenge.split(' ')[0] || 'none'})`);
    const url = new URL(params.realm);
    if (params.service)
        url.searchParams.set('service', params.service);
    url.searchParams.set('scope', `repository:${target.repository}:pull,push`);
    const what = `GET ${url.origin}${url.pathname}`;
    const res = await send(url.toString(), { method: 'GET', headers: basic ? { Authorization: basic } : {} }, timeoutMs);
    const text = await body(res, what, (r) => r.text());
    if (!res.ok)
        throw answerError(res, `the token service (${what})`, text);
    let parsed;
    try {
        parsed = JSON.parse(text);
    }
    catch {
        throw new RegistryRefused(`the token service (${what}) answered something other than JSON`);
    }
    const token = parsed.token ?? parsed.access_token;
    if (!token)
        throw new RegistryRefused(`the token service (${what}) gave no token`);
    return `Bearer ${token}`;
}

;// CONCATENATED MODULE: ./src/pipeline/publish.ts





/**
 * Runs a publish step: reads the one source (one request) and the floating tags, drops the
 * floating tags that would move backwards, then moves the rest, tags last. The outputs describe
 * what the registry now holds.
 */
async function publish(bx, planned, tags, sources, registry, platforms) {
    const [source, held] = await Promise.all([
        planned.source === 'build' ? readSource(bx, planned.builder, sources[0], registry) : undefined,
        heldBack(bx, planned, tags)
    ]);
    const step = withoutHeld(planned, held.map((h) => h.tag));
    await moveTags(bx, step, sources, source, registry);
    const refs = publishedRefs(step);
    const index = source ?? (refs.length > 0 ? await inspectRaw(bx, step.builder, refs[0]) : undefined);
    if (!index)
        throw new Error(`${refs[0] ?? sources[0]} is not in the registry after publishing`);
    const platformDigests = index.manifest.manifests
        ? imagetools_platformDigests(index.manifest)
        : { [platforms[0]]: index.digest };
    for (const ref of refs)
        bx.log.info(`${ref} → ${index.digest}`);
    return { digest: index.digest, platformDigests, refs, held };
}
/** The floating tags (latest, 1, 1.2) that would move backwards: they stay where they are. */
async function heldBack(bx, step, tags) {
    if (step.floating.length === 0)
        return [];
    const versions = await Promise.all(step.floating.map((f) => publishedVersion(bx, step.builder, f.ref)));
    const current = new Map(step.floating.map((f, i) => [f.tag, versions[i]]));
    const { held } = holdBackFloating(tags, current);
    for (const h of held)
        bx.log.warning(`${h.tag} not moved: ${heldReason(h)}`);
    return held;
}
function heldReason(h) {
    return h.reason === 'prerelease' ? `${h.ours} is a pre-release` : `it points to ${h.current}, newer than ${h.ours}`;
}
/**
 * The index the build pushed, read by one GET of its digest; through imagetools when the registry
 * needs what only buildx knows (its auth scheme, BuildKit's registry configuration).
 */
async function readSource(bx, builder, ref, registry) {
    try {
        bx.log.info(`[request] ${getRequest(ref)}`);
        const got = await (0,retry/* withRetry */.bD)(() => getManifest(ref, registry), {
            ...requestRetry(bx.retries),
            what: `reading ${ref}`,
            log: bx.log
        });
        return { manifest: JSON.parse(got.raw), digest: got.digest, raw: got.raw };
    }
    catch (error) {
        if (!(error instanceof RegistryRefused))
            throw error;
        bx.log.info(`reading ${ref} through buildx imagetools (${error.message})`);
        return inspectRaw(bx, builder, ref);
    }
}
/**
 * `put` refs: one PUT of the source's exact bytes each, retried on its own (imagetools create
 * makes ~30 requests for the same and gives up on the first dropped one). What the registry
 * refuses to take that way, and `imagetools` refs, go through imagetools create.
 */
async function moveTags(bx, step, sources, source, registry) {
    const mediaType = source?.manifest.mediaType;
    let fallback = [];
    if (step.put.length > 0) {
        if (!source || !mediaType) {
            fallback = step.put;
        }
        else {
            for (const [i, ref] of step.put.entries()) {
                try {
                    bx.log.info(`[request] ${putRequest(ref, sources[0])}`);
                    await (0,retry/* withRetry */.bD)(() => putTag(ref, source.raw, mediaType, source.digest, registry), {
                        ...requestRetry(bx.retries),
                        what: `tagging ${ref}`,
                        log: bx.log
                    });
                }
                catch (error) {
                    if (!(error instanceof RegistryRefused))
                        throw error;
                    bx.log.warning(`could not tag by a direct PUT (${error.message}); using buildx imagetools create`);
                    fallback = step.put.slice(i);
                    break;
                }
            }
        }
    }
    const rest = [...fallback, ...step.imagetools.refs];
    if (rest.length > 0)
        await tagIndex(bx, step.builder, rest, sources, step.imagetools.annotations);
}
function registryOptions(env, run, stallMs) {
    return { env, run, timeoutMs: stallMs || undefined };
}

;// CONCATENATED MODULE: ./src/pipeline/session.ts


function openSession(runEnv) {
    const log = runEnv.edges.log;
    const masker = runEnv.masker ?? new Masker();
    const session = {
        edges: runEnv.edges,
        env: runEnv.env,
        cwd: runEnv.cwd,
        log,
        masker,
        runner: (0,tools_exec/* createRunner */.ji)(log, masker),
        now: runEnv.now ?? (() => new Date()),
        timings: [],
        current: '',
        async phase(name, fn) {
            const start = Date.now();
            session.current = name;
            try {
                return await log.group(name, fn);
            }
            finally {
                session.timings.push([name, (Date.now() - start) / 1000]);
            }
        }
    };
    return session;
}

;// CONCATENATED MODULE: ./src/pipeline/state.ts
function saveState(edges, state) {
    edges.saveState('cleanup', JSON.stringify(state));
}
/** Reads what main saved; a missing or unreadable record means there is nothing to clean. */
function loadState(edges) {
    const raw = edges.getState('cleanup');
    if (!raw)
        return undefined;
    try {
        const parsed = JSON.parse(raw);
        return {
            builder: typeof parsed.builder === 'string' ? parsed.builder : '',
            buildx: parsed.buildx,
            tempDir: typeof parsed.tempDir === 'string' ? parsed.tempDir : ''
        };
    }
    catch {
        return undefined;
    }
}

;// CONCATENATED MODULE: ./src/pipeline/run.ts













/** The whole pipeline: inputs → context → plan → its steps, in order → outputs and summary. */
async function run(runEnv) {
    const session = openSession(runEnv);
    let images = [];
    let plan;
    try {
        const inputs = await session.phase('Inputs', () => readAndMask(session));
        images = inputs.images;
        const context = await session.phase('Context', () => readContext(session, inputs));
        const workspace = await makeWorkspace(session, inputs, context);
        const state = { builder: '', tempDir: workspace.tempDir };
        saveState(session.edges, state);
        try {
            session.current = 'Plan';
            plan = makePlan(inputs, context, nativePlatform(), session.now(), workspace.ids);
            if (inputs.dryRun)
                return await dryRun(session, plan);
            const result = await runSteps(session, plan, inputs, state);
            await report(session, result);
            return result;
        }
        finally {
            // Secret files must not outlive the build; post removes the directory too if this is cut short.
            await (0,promises_.rm)(workspace.tempDir, { recursive: true, force: true });
        }
    }
    catch (error) {
        const failed = failure(error, images);
        const summary = failureMarkdown(session.current, failed.message, plan, session.timings);
        await session.edges.summary(session.masker.mask(summary));
        // Bad input keeps its type: the command line exits 2 for it.
        throw error instanceof errors/* InputError */.d ? error : failed;
    }
}
async function dryRun(session, plan) {
    await session.phase('Plan (dry run)', async () => printPlan(plan, session.log));
    const commands = plan.steps.flatMap((step) => stepLines(step, plan.steps));
    setOutputs(session.edges, plan, { digest: '', platformDigests: {}, tags: tagsOutput(plan), metadata: {} });
    await session.edges.summary(session.masker.mask(dryRunMarkdown(plan, commands)));
    return undefined;
}
async function report(session, result) {
    setOutputs(session.edges, result.plan, result);
    await session.edges.summary(session.masker.mask(summaryMarkdown(result)));
}
/** Runs the plan's steps in order, each one call in a named phase. */
async function runSteps(session, plan, inputs, state) {
    const merging = plan.mode === 'merge';
    const progress = {
        builder: { name: plan.builder, driver: 'not used (merge)', platforms: [], buildkitVersion: '-' },
        built: { metadata: {}, digest: '' },
        sources: []
    };
    const bx = () => ({
        bin: progress.bin,
        run: session.runner,
        log: session.log,
        retries: inputs.retries,
        cwd: session.cwd,
        stallMs: inputs.stallTimeoutMs
    });
    for (const step of plan.steps)
        await runStep(session, plan, step, progress, bx, state, inputs.retries);
    if (!plan.steps.some((s) => s.kind === 'publish') && !merging) {
        session.log.info('nothing pushed (push is false): the tags and version outputs are what the rules computed');
    }
    const { built, published } = progress;
    return {
        plan,
        digest: published?.digest ?? built.digest,
        platformDigests: published?.platformDigests ?? {},
        tags: tagsOutput(plan, published?.refs),
        held: published?.held ?? [],
        metadata: built.metadata,
        builder: progress.builder,
        timings: session.timings
    };
}
async function runStep(session, plan, step, progress, bx, state, retries) {
    switch (step.kind) {
        case 'qemu':
            return session.phase('QEMU', () => runQemu(session, step, retries));
        case 'buildx':
            progress.bin = await session.phase('Buildx', () => build_runBuildx(session, step, retries));
            state.buildx = progress.bin;
            return;
        case 'builder':
            progress.builder = await session.phase('Builder', () => runBuilder(bx(), step, plan.platforms.map((p) => p.id), () => saveState(session.edges, Object.assign(state, { builder: step.name }))));
            return;
        case 'build': {
            const name = `Build ${step.platforms.map((p) => p.id).join(', ')}`;
            progress.built = await session.phase(name, () => runBuild(bx(), step, plan.cache.refs));
            progress.sources = progress.built.source ? [progress.built.source] : [];
            return;
        }
        case 'find-legs':
            progress.sources = await session.phase('Find legs', () => findLegs(bx(), step));
            return;
        case 'check-digests':
            progress.sources = await session.phase('Find legs', () => checkDigests(bx(), step));
            return;
        case 'publish': {
            const registry = registryOptions(session.env, session.runner, bx().stallMs ?? 0);
            const platforms = plan.platforms.map((p) => p.id);
            const name = step.handOff ? 'Hand off to the merge' : 'Publish tags';
            progress.published = await session.phase(name, () => publish(bx(), step, plan.tags, progress.sources, registry, platforms));
            return;
        }
    }
}

;// CONCATENATED MODULE: ./src/pipeline/post.ts





/** Removes what main recorded it created, and nothing else. Never fails the job; safe to run twice. */
async function post(edges) {
    const log = edges.log;
    const state = loadState(edges);
    if (!state) {
        log.info('nothing to clean up');
        return;
    }
    await log.group('Clean up', async () => {
        if (state.builder && state.buildx) {
            try {
                const outcome = await removeBuilder({ bin: state.buildx, run: (0,tools_exec/* createRunner */.ji)(log, new Masker()), log, retries: 0 }, state.builder);
                log.info(outcome === 'removed' ? `removed builder ${state.builder}` : `builder ${state.builder} was already gone`);
            }
            catch (error) {
                log.warning(`could not remove builder ${state.builder}: ${error.message}`);
            }
        }
        if (state.tempDir)
            await (0,promises_.rm)(state.tempDir, { recursive: true, force: true }).catch((e) => log.warning(`could not remove ${state.tempDir}: ${e.message}`));
    });
}

;// CONCATENATED MODULE: ./src/cli/run.ts









const COMMAND = 'multiarch-publish';
/** Flags of the command line itself, beside the action's inputs. */
const OWN_FLAGS = [
    {
        flag: 'output-file',
        value: 'FILE',
        description: 'Write the outputs (digest, tags, platform-digests, …) to FILE as one JSON object.'
    },
    {
        flag: 'print-outputs',
        value: '',
        description: 'Print the outputs after the result, as name=value lines (multi-line values as name<<EOF … EOF).'
    },
    {
        flag: 'state-file',
        value: 'FILE',
        description: 'Also keep the clean-up record (the builder this run creates) in FILE; --clean-up --state-file FILE removes it after a run that was killed outright.'
    },
    { flag: 'clean-up', value: '', description: 'Only remove what the run that wrote --state-file created, then exit.' },
    { flag: 'verbose', value: '', description: 'Print debug lines too.' },
    { flag: 'help', value: '', description: 'Print this help and exit.' }
];
/** A command line that cannot be run as given: exit code 2. */
class UsageError extends Error {
    constructor(message) {
        super(message);
        this.name = 'UsageError';
    }
}
/** Every flag the command line accepts, inputs first, as they are spelled on it. */
function acceptedFlags() {
    return [
        ...INPUTS.flatMap((input) => input.kind === 'boolean' && !input.name.startsWith('no-')
            ? [`--${input.name}`, `--no-${input.name}`]
            : [`--${input.name}`]),
        ...OWN_FLAGS.map((f) => `--${f.flag}`),
        '-h'
    ];
}
/**
 * Reads the flags strictly. Every input of the action is a flag of the same name; a list input may
 * be repeated (each occurrence one line); a true/false input is `--name` (true), `--no-name` or
 * `--name=false`. Throws UsageError on anything else.
 */
function parseCliArgs(argv) {
    const byName = new Map(INPUTS.map((input) => [input.name, input]));
    const options = {};
    for (const input of INPUTS)
        options[input.name] = { type: 'string', multiple: true };
    for (const own of OWN_FLAGS)
        options[own.flag] = own.value ? { type: 'string', multiple: true } : { type: 'boolean' };
    options.help = { type: 'boolean', short: 'h' };
    let values;
    try {
        ({ values } = (0,external_node_util_.parseArgs)({ args: normaliseBooleans(argv, byName), options, strict: true, allowPositionals: false }));
    }
    catch (error) {
        throw explainParseError(error);
    }
    const inputs = new Map();
    for (const input of INPUTS) {
        const given = values[input.name];
        if (!given)
            continue;
        if (input.kind === 'list') {
            inputs.set(input.name, given.join('\n'));
        }
        else if (new Set(given).size > 1) {
            throw new UsageError(`--${input.name} was given ${given.length} times (${given.map((v) => JSON.stringify(v)).join(', ')}); it takes one value`);
        }
        else {
            inputs.set(input.name, given[0]);
        }
    }
    const single = (flag) => {
        const given = values[flag];
        if (given && given.length > 1)
            throw new UsageError(`--${flag} was given ${given.length} times; it takes one value`);
        return given?.[0];
    };
    const args = {
        inputs,
        help: values.help === true,
        outputFile: single('output-file'),
        printOutputs: values['print-outputs'] === true,
        stateFile: single('state-file'),
        cleanUp: values['clean-up'] === true,
        verbose: values.verbose === true
    };
    if (args.cleanUp && !args.stateFile)
        throw new UsageError('--clean-up needs --state-file FILE: the record of what to remove');
    return args;
}
/**
 * parseArgs has no flag that is both `--dry-run` and `--dry-run=false`, so a true/false input is a
 * string option and its bare spellings are rewritten first: `--x` → `--x=true`, `--no-x` → `--x=false`.
 */
function normaliseBooleans(argv, inputs) {
    const out = [];
    for (let i = 0; i < argv.length; i++) {
        const arg = argv[i];
        if (arg === '--') {
            out.push(...argv.slice(i));
            break;
        }
        const name = arg.startsWith('--') && !arg.includes('=') ? arg.slice(2) : '';
        const input = inputs.get(name);
        const negated = name.startsWith('no-') ? inputs.get(name.slice(3)) : undefined;
        if (input?.kind === 'boolean') {
            out.push(`--${name}=true`);
        }
        else if (negated?.kind === 'boolean' && !input) {
            out.push(`--${negated.name}=false`);
        }
        else {
            out.push(arg);
            // The next word is this flag's value even when it looks like a flag.
            if (input && i + 1 < argv.length)
                out.push(argv[++i]);
        }
    }
    return out;
}
function explainParseError(error) {
    const accepted = `Accepted flags: ${acceptedFlags().join(' ')} (see --help).`;
    if (error.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
        const flag = /'(-[^']*)'/.exec(error.message)?.[1] ?? '';
        const guess = closest(flag.replace(/=.*$/, ''), acceptedFlags());
        return new UsageError(`unknown flag ${flag}${guess ? ` (did you mean ${guess}?)` : ''}. ${accepted}`);
    }
    if (error.code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
        const word = /'([^']*)'/.exec(error.message)?.[1] ?? '';
        return new UsageError(`unexpected argument ${JSON.stringify(word)}: every value follows its flag, as --name value or --name=value. ${accepted}`);
    }
    if (error.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
        return new UsageError(error.message.replace(/^Option /, '').replace(/\s*\n\s*/g, ' '));
    }
    return new UsageError(error.message);
}
/** The accepted flag nearest to a mistyped one (at most two edits away), for the error message. */
function closest(flag, accepted) {
    let best;
    for (const candidate of accepted) {
        const distance = editDistance(flag, candidate);
        if (distance <= 2 && (!best || distance < best.distance))
            best = { flag: candidate, distance };
    }
    return best?.flag;
}
function editDistance(a, b) {
    let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
        const current = [i];
        for (let j = 1; j <= b.length; j++)
            current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
        previous = current;
    }
    return previous[b.length];
}
/** --help: generated from the input list, so every input of the action is there with its description. */
function usage() {
    const lines = [
        `Usage: ${COMMAND} [flags]`,
        '',
        'Builds every platform of a container image concurrently with buildx and pushes one multi-arch',
        'index with its tags: the same pipeline as the GitHub Action, with the commit, ref and repository',
        'read from the git repository in the current directory.',
        '',
        "Inputs (the action's inputs, by the same names):"
    ];
    for (const input of INPUTS) {
        const spelling = input.kind === 'boolean'
            ? input.name.startsWith('no-')
                ? `--${input.name}[=false]`
                : `--${input.name}, --no-${input.name}`
            : `--${input.name} VALUE`;
        const extra = [
            input.kind === 'list' ? 'Repeatable: each occurrence is one line.' : '',
            DEFAULTS[input.name] ? `[default: ${DEFAULTS[input.name]}]` : '',
            input.name === 'secrets'
                ? 'On a shared machine prefer --secret-envs or --secret-files: flags are visible to other users.'
                : ''
        ].filter(Boolean);
        lines.push(`  ${spelling}`, ...wrap([input.description, ...extra].join(' '), 6, 100));
    }
    lines.push('', 'Command line:');
    for (const own of OWN_FLAGS)
        lines.push(`  ${own.flag === 'help' ? '-h, ' : ''}--${own.flag}${own.value ? ` ${own.value}` : ''}`, ...wrap(own.description, 6, 100));
    lines.push('', 'Exit status: 0 done, 1 the build or push failed (the reason on stderr), 2 bad flags or input values.', '', 'Example:', `  ${COMMAND} --images 127.0.0.1:5000/demo/hello --platforms linux/amd64,linux/arm64 \\`, '    --driver remote --endpoint unix:///run/buildkit/buildkitd.sock \\', '    --tags type=sha --tags type=raw,value=latest', '');
    return lines.join('\n');
}
function wrap(text, indent, width) {
    const out = [];
    let line = '';
    for (const word of text.split(/\s+/)) {
        if (line && indent + line.length + 1 + word.length > width) {
            out.push(' '.repeat(indent) + line);
            line = word;
        }
        else {
            line = line ? `${line} ${word}` : word;
        }
    }
    if (line)
        out.push(' '.repeat(indent) + line);
    return out;
}
/**
 * The command line: flags → the action's pipeline (main's run, then post's clean-up, always, in this
 * process) → the result table. Returns the exit status.
 */
async function runCli(argv, io) {
    let args;
    try {
        args = parseCliArgs(argv);
    }
    catch (error) {
        if (!(error instanceof UsageError))
            throw error;
        io.stderr.write(`${COMMAND}: ${error.message}\n`);
        return 2;
    }
    if (args.help) {
        io.stdout.write(usage());
        return 0;
    }
    const edges = cliEdges({
        flags: args.inputs,
        out: io.stdout,
        isTTY: io.isTTY,
        stateFile: args.stateFile,
        verbose: args.verbose
    });
    const cleanUp = () => post(edges).catch((error) => edges.log.warning(`clean-up: ${error.message}`));
    if (args.cleanUp) {
        await cleanUp();
        return 0;
    }
    let failure;
    try {
        await Promise.race([run({ edges, env: io.env, cwd: io.cwd, masker: edges.masker }), aborted(io.signal)]);
    }
    catch (error) {
        failure = error;
        // An interrupted build would go on in its own process group: stop it before removing its builder.
        if (error instanceof Interrupted)
            (0,tools_exec/* cancelAll */._X)();
    }
    finally {
        await cleanUp();
    }
    if (failure !== undefined) {
        io.stderr.write(`${COMMAND}: ${edges.masker.mask(describe(failure))}\n`);
        if (failure instanceof Interrupted)
            return 130;
        return failure instanceof errors/* InputError */.d ? 2 : 1;
    }
    edges.print(resultTable(edges.outputs));
    if (args.printOutputs)
        edges.print(formatOutputs(edges.outputs));
    if (args.outputFile)
        await (0,promises_.writeFile)(args.outputFile, `${edges.masker.mask(JSON.stringify(Object.fromEntries(edges.outputs), null, 2))}\n`);
    return 0;
}
class Interrupted extends Error {
    constructor() {
        super('interrupted');
        this.name = 'Interrupted';
    }
}
function aborted(signal) {
    return new Promise((_, reject) => {
        if (!signal)
            return;
        if (signal.aborted)
            reject(new Interrupted());
        signal.addEventListener('abort', () => reject(new Interrupted()), { once: true });
    });
}
/** An input error is reported by its flag, as the user typed it. */
function describe(error) {
    if (error instanceof errors/* InputError */.d)
        return `--${error.input}: ${JSON.stringify(error.value)} is not accepted; expected ${error.accepted}`;
    return error instanceof Error ? error.message : String(error);
}


/***/ }),

/***/ 9516:
/***/ ((__unused_webpack_module, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   d: () => (/* binding */ InputError)
/* harmony export */ });
/**
 * A bad input value, caught before any build or push. The message always names the input,
 * the value given and what is accepted, so a user can fix the workflow without reading code.
 */
class InputError extends Error {
    input;
    value;
    accepted;
    constructor(input, value, accepted) {
        super(`input "${input}": ${JSON.stringify(value)} is not accepted; expected ${accepted}`);
        this.input = input;
        this.value = value;
        this.accepted = accepted;
        this.name = 'InputError';
    }
}


/***/ }),

/***/ 3390:
/***/ ((__unused_webpack_module, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   a: () => (/* binding */ releaseTag)
/* harmony export */ });
/* harmony import */ var _errors_js__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(9516);

/** `v0.36.1` or `0.36.1` (pre-releases too) → the release tag `v0.36.1`. Anything else, `latest` included, is refused. */
function releaseTag(value) {
    const match = /^v?(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?)$/.exec(value.trim());
    // `latest` is refused on purpose: what it installs changes under the workflow's feet.
    if (!match)
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_0__/* .InputError */ .d('buildx-version', value, 'a release version like v0.36.1');
    return `v${match[1]}`;
}


/***/ }),

/***/ 8992:
/***/ ((__unused_webpack_module, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   YC: () => (/* binding */ editDistance),
/* harmony export */   kc: () => (/* binding */ errorText),
/* harmony export */   w$: () => (/* binding */ lastLines)
/* harmony export */ });
/** Small text helpers shared by every layer: pure, no I/O. */
/** The message of anything thrown: an Error's message, else the value as text. */
function errorText(error) {
    return error instanceof Error ? error.message : String(error);
}
/** The last `n` lines of `text`, trailing blank lines left out. */
function lastLines(text, n) {
    return text.trimEnd().split('\n').slice(-n).join('\n');
}
/** Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps cost 1. */
function editDistance(a, b) {
    const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array(b.length).fill(0)]);
    for (let j = 1; j <= b.length; j++)
        d[0][j] = j;
    for (let i = 1; i <= a.length; i++) {
        for (let j = 1; j <= b.length; j++) {
            const cost = a[i - 1] === b[j - 1] ? 0 : 1;
            d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
            if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
                d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
        }
    }
    return d[a.length][b.length];
}


/***/ }),

/***/ 7709:
/***/ ((__unused_webpack_module, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   O: () => (/* binding */ parseBuildxVersion),
/* harmony export */   a: () => (/* binding */ findBuildx)
/* harmony export */ });
/* harmony import */ var node_fs__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(3024);
/* harmony import */ var node_fs__WEBPACK_IMPORTED_MODULE_0___default = /*#__PURE__*/__nccwpck_require__.n(node_fs__WEBPACK_IMPORTED_MODULE_0__);
/* harmony import */ var node_path__WEBPACK_IMPORTED_MODULE_1__ = __nccwpck_require__(6760);
/* harmony import */ var node_path__WEBPACK_IMPORTED_MODULE_1___default = /*#__PURE__*/__nccwpck_require__.n(node_path__WEBPACK_IMPORTED_MODULE_1__);
/* harmony import */ var _text_js__WEBPACK_IMPORTED_MODULE_2__ = __nccwpck_require__(8992);



/**
 * The version in `buildx version` output (`github.com/docker/buildx v0.36.1 3f1a…`) without its
 * "v". A build with no version stamp says `v0.0.0+unknown`; that, or no version at all, is
 * "unknown" rather than an error, so an unstamped build still works.
 */
function parseBuildxVersion(output) {
    const match = /(?:^|\s)v?(\d+)\.(\d+)\.(\d+)((?:[-+][0-9A-Za-z.+-]*)?)(?=\s|$)/m.exec(output);
    if (!match)
        return 'unknown';
    const [, major, minor, patch, suffix] = match;
    if (Number(major) === 0 && Number(minor) === 0 && Number(patch) === 0)
        return 'unknown';
    return `${major}.${minor}.${patch}${suffix}`;
}
/**
 * The buildx already on the machine: the docker CLI plugin if `docker buildx version` answers,
 * else a standalone `buildx` on PATH. Throws, saying what to set, when neither is there.
 */
async function findBuildx(run, env) {
    const candidates = [
        // The plugin binary run directly is buildx standalone, and skips ~0.3 s of docker CLI start-up per call.
        ...pluginPaths(env).map((command) => ({ command, prefix: [] })),
        { command: 'docker', prefix: ['buildx'] },
        { command: 'buildx', prefix: [] }
    ];
    const tried = [];
    for (const candidate of candidates) {
        const shown = [candidate.command, ...candidate.prefix, 'version'].join(' ');
        try {
            const result = await run(candidate.command, [...candidate.prefix, 'version'], {
                env,
                allowFailure: true,
                quiet: true
            });
            if (result.code === 0)
                return { ...candidate, version: parseBuildxVersion(result.stdout), source: 'installed' };
            tried.push(`\`${shown}\` exited with code ${result.code}${tail(result.stderr || result.stdout)}`);
        }
        catch (error) {
            tried.push(`\`${shown}\` could not start${tail((0,_text_js__WEBPACK_IMPORTED_MODULE_2__/* .errorText */ .kc)(error))}`);
        }
    }
    throw new Error(`buildx is not installed: ${tried.join('; ')}. Set the buildx-version input (for example buildx-version: v0.36.1) ` +
        'to install a release, or install buildx as a docker CLI plugin before this step.');
}
/** Where the docker CLI looks for its buildx plugin, the existing executables first-found first. */
function pluginPaths(env) {
    const dirs = [
        env.DOCKER_CONFIG && node_path__WEBPACK_IMPORTED_MODULE_1___default().join(env.DOCKER_CONFIG, 'cli-plugins'),
        env.HOME && node_path__WEBPACK_IMPORTED_MODULE_1___default().join(env.HOME, '.docker', 'cli-plugins'),
        '/usr/local/lib/docker/cli-plugins',
        '/usr/local/libexec/docker/cli-plugins',
        '/usr/lib/docker/cli-plugins',
        '/usr/libexec/docker/cli-plugins'
    ].filter((d) => !!d);
    return [...new Set(dirs)]
        .map((d) => node_path__WEBPACK_IMPORTED_MODULE_1___default().join(d, 'docker-buildx'))
        .filter((file) => {
        try {
            (0,node_fs__WEBPACK_IMPORTED_MODULE_0__.accessSync)(file, node_fs__WEBPACK_IMPORTED_MODULE_0__.constants.X_OK);
            return true;
        }
        catch {
            return false;
        }
    });
}
function tail(text) {
    const last = (0,_text_js__WEBPACK_IMPORTED_MODULE_2__/* .lastLines */ .w$)(text, 1).trim();
    return last ? ` (${last.slice(0, 200)})` : '';
}


/***/ }),

/***/ 5902:
/***/ ((__unused_webpack_module, __webpack_exports__, __nccwpck_require__) => {


// EXPORTS
__nccwpck_require__.d(__webpack_exports__, {
  cI: () => (/* binding */ ExecError),
  _X: () => (/* binding */ cancelAll),
  ji: () => (/* binding */ createRunner),
  X1: () => (/* binding */ quoteArg)
});

// UNUSED EXPORTS: neutraliseCommands

;// CONCATENATED MODULE: external "node:child_process"
const external_node_child_process_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:child_process");
;// CONCATENATED MODULE: ./src/tools/exec.ts

/** A process that exited non-zero, or was killed for making no progress. */
class ExecError extends Error {
    command;
    result;
    stalled;
    constructor(command, result, stalled = false) {
        const tail = neutraliseCommands(lastLines(result.stderr || result.stdout, 12));
        super(stalled
            ? `${command} made no progress and was cancelled${tail ? `:\n${tail}` : ''}`
            : `${command} failed with exit code ${result.code}${tail ? `:\n${tail}` : ''}`);
        this.command = command;
        this.result = result;
        this.stalled = stalled;
        this.name = 'ExecError';
    }
}
// Children still running, so an interrupted command line can stop them before it cleans up.
const running = new Set();
/** Stops every child this process started that is still running (their whole process groups). */
function cancelAll() {
    for (const pid of running)
        killGroup(pid);
}
/**
 * The one place that starts processes. It logs the command with secrets masked, streams the
 * child's output through the mask, judges success by the exit code alone, and cancels a child
 * that goes quiet for `stallMs` while its `watch` (if any) says the timer runs (@actions/exec
 * gives no handle to cancel a child, hence spawn).
 */
function createRunner(log, masker) {
    return (command, args, options = {}) => new Promise((resolve, reject) => {
        const shown = masker.mask([command, ...args.map(quoteArg)].join(' '));
        log.info(`[command] ${shown}`);
        // Errors name the command by its verbs; the full line is already in the log above.
        const short = verbs(command, args);
        const child = (0,external_node_child_process_namespaceObject.spawn)(command, args, {
            cwd: options.cwd,
            env: options.env ?? process.env,
            stdio: ['pipe', 'pipe', 'pipe'],
            detached: true
        });
        if (child.pid)
            running.add(child.pid);
        let stdout = '';
        let stderr = '';
        let stalled = false;
        let timer;
        // Whether the timer runs: always without a watch; with one, as it last said.
        let timing = true;
        const arm = () => {
            if (!options.stallMs)
                return;
            if (timer)
                clearTimeout(timer);
            timer = undefined;
            if (!timing)
                return;
            timer = setTimeout(() => {
                stalled = true;
                log.warning(`${command} printed nothing for ${Math.round(options.stallMs / 1000)} s; cancelling it`);
                killGroup(child.pid);
            }, options.stallMs);
        };
        const take = (line) => {
            if (options.watch)
                timing = options.watch(line);
            if (!options.quiet)
                log.info(neutraliseCommands(masker.mask(line)));
        };
        const split = (chunk, buffered) => {
            buffered.rest += chunk;
            const lines = buffered.rest.split(/\r?\n/);
            buffered.rest = lines.pop() ?? '';
            for (const line of lines)
                take(line);
        };
        const outBuf = { rest: '' };
        const errBuf = { rest: '' };
        child.stdout.setEncoding('utf8').on('data', (chunk) => {
            stdout += chunk;
            split(chunk, outBuf);
            arm();
        });
        child.stderr.setEncoding('utf8').on('data', (chunk) => {
            stderr += chunk;
            split(chunk, errBuf);
            arm();
        });
        child.on('error', (err) => {
            if (child.pid)
                running.delete(child.pid);
            if (timer)
                clearTimeout(timer);
            reject(new ExecError(short, { code: -1, stdout, stderr: `${stderr}${err.message}` }));
        });
        child.on('close', (code) => {
            if (child.pid)
                running.delete(child.pid);
            if (timer)
                clearTimeout(timer);
            for (const rest of [outBuf.rest, errBuf.rest])
                if (rest && !options.quiet)
                    log.info(neutraliseCommands(masker.mask(rest)));
            const result = { code: code ?? -1, stdout, stderr };
            if (stalled)
                reject(new ExecError(short, result, true));
            else if (result.code !== 0 && !options.allowFailure)
                reject(new ExecError(short, result));
            else
                resolve(result);
        });
        child.stdin.on('error', () => undefined);
        child.stdin.end(options.input ?? '');
        arm();
    });
}
/**
 * Text we did not write (a child's output, a registry's message) made unable to start a workflow
 * command where the Actions runner reads this process's output: the runner ends a line at a bare
 * CR as at LF, and takes a line whose first non-blank characters are `::` (or the older `##[`) as
 * a command. Every line break becomes LF and such a line is prefixed with `| `, so it is shown,
 * not obeyed. Neutralising line by line is stateless; the other way, fencing child output with
 * `::stop-commands::<token>`, would also silence our own warnings, masks and groups issued while
 * a child runs (several run at once), and one missed `::<token>::` would silence the rest of the
 * step.
 */
function neutraliseCommands(text) {
    return text
        .split(/\r\n|\r|\n/)
        .map((line) => (/^\s*(::|##\[)/.test(line) ? `| ${line}` : line))
        .join('\n');
}
function killGroup(pid) {
    if (!pid)
        return;
    try {
        process.kill(-pid, 'SIGTERM');
    }
    catch {
        return;
    }
    setTimeout(() => {
        try {
            process.kill(-pid, 'SIGKILL');
        }
        catch {
            // already gone
        }
    }, 5000).unref();
}
/** `docker buildx build`: the command and the words before its first flag, at most three. */
function verbs(command, args) {
    const words = [command];
    for (const arg of args) {
        if (arg.startsWith('-') || words.length > 3)
            break;
        words.push(arg);
    }
    return words.join(' ');
}
/** An argument as a POSIX shell reads it back: bare when safe, else single-quoted. */
function quoteArg(arg) {
    return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}
function lastLines(text, n) {
    return text.trimEnd().split('\n').slice(-n).join('\n');
}


/***/ }),

/***/ 2765:
/***/ ((__unused_webpack_module, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   Dr: () => (/* binding */ PermanentError),
/* harmony export */   N_: () => (/* binding */ TransientError),
/* harmony export */   bD: () => (/* binding */ withRetry),
/* harmony export */   w1: () => (/* binding */ RetriesExhausted)
/* harmony export */ });
/* unused harmony export classify */
/* harmony import */ var _exec_js__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(5902);
/* harmony import */ var _text_js__WEBPACK_IMPORTED_MODULE_1__ = __nccwpck_require__(8992);


/**
 * A failure of our own code that another attempt may fix: a dropped connection, a timeout, a 5xx
 * or a 429. The message is the cause the retry log shows; `retryAfterMs` is the wait the server
 * asked for (Retry-After), if it asked.
 */
class TransientError extends Error {
    retryAfterMs;
    constructor(message, retryAfterMs, options) {
        super(message, options);
        this.retryAfterMs = retryAfterMs;
        this.name = 'TransientError';
    }
}
/** A failure of our own code that trying again cannot fix (a refusal, a bad answer). */
class PermanentError extends Error {
    constructor(message, options) {
        super(message, options);
        this.name = 'PermanentError';
    }
}
// Foreign output only: what buildx and BuildKit print when trying again can help (server errors,
// throttling, dropped or stalled connections). Anything else (auth, a missing image, a Dockerfile
// error) is permanent. Our own code says which it is by the type it throws.
const PERMANENT = [
    /\b(401|403)\b.*(unauthorized|forbidden)/i,
    /unauthorized: /i,
    /denied: /i,
    /authentication required/i,
    /invalid reference format/i,
    /did not complete successfully/i,
    /failed to (parse|read) dockerfile/i,
    /dockerfile parse error/i,
    /not found: not found/i,
    /manifest unknown/i,
    /no match for platform/i
];
const TRANSIENT = [
    // buildx resolves a digest reference with HEAD /manifests/<digest>; when that connection drops it
    // falls back to HEAD /blobs/<digest>, which a registry answers 404 for a manifest, and reports
    // `<ref>@sha256:…: not found`. The action only names digests it has just pushed or read.
    [/@sha256:[0-9a-f]{64}: not found/i, 'connection dropped while resolving a digest (buildx reports it as not found)'],
    [/\b429\b(?!\.\d)|too many requests|toomanyrequests/i, 'registry throttled the request (429)'],
    [
        /\b50[0234]\b(?!\.\d)|service unavailable|bad gateway|gateway time-?out|internal server error/i,
        'registry server error (5xx)'
    ],
    [
        /connection reset|broken pipe|unexpected EOF|:\s*EOF\s*$|connection refused|socket hang up|ECONNRESET|ECONNREFUSED|EPIPE/im,
        'connection dropped'
    ],
    [/i\/o timeout|deadline exceeded|timed out|TLS handshake timeout|context canceled|ETIMEDOUT/i, 'request timed out'],
    [/no such host|temporary failure in name resolution|EAI_AGAIN/i, 'name resolution failed'],
    // An upload cut short can leave the registry with a partial blob; pushing again uploads it afresh.
    [
        /digest did not match uploaded content|blob unknown to registry|blob upload (unknown|invalid)/i,
        'upload interrupted'
    ]
];
/**
 * Decides whether a failure is worth another attempt, and names its cause for the log: by type for
 * our own errors, by the words of buildx's and BuildKit's output for a failed command.
 */
function classify(error) {
    if (error instanceof RetriesExhausted)
        return { transient: false, cause: error.lastCause };
    if (error instanceof TransientError)
        return { transient: true, cause: firstLine(error.message), retryAfterMs: error.retryAfterMs };
    if (error instanceof PermanentError)
        return { transient: false, cause: firstLine(error.message) };
    if (!(error instanceof _exec_js__WEBPACK_IMPORTED_MODULE_0__/* .ExecError */ .cI))
        return { transient: false, cause: firstLine(String(error)) };
    if (error.stalled)
        return { transient: true, cause: 'no progress (stalled)' };
    const text = failurePart(`${error.result.stdout}\n${error.result.stderr}`);
    for (const re of PERMANENT)
        if (re.test(text))
            return { transient: false, cause: firstMatchLine(text, re) };
    for (const [re, cause] of TRANSIENT) {
        if (re.test(text)) {
            const after = /retry-after:?\s*(\d+)/i.exec(text);
            return {
                transient: true,
                cause: `${cause}: ${firstMatchLine(text, re)}`,
                retryAfterMs: after ? Number(after[1]) * 1000 : undefined
            };
        }
    }
    return { transient: false, cause: lastLine(text) };
}
/** A transient fault that outlasted every retry: says how often it was tried and what failed last. */
class RetriesExhausted extends PermanentError {
    what;
    attempts;
    lastCause;
    last;
    constructor(what, attempts, lastCause, last) {
        super(`${what} failed ${attempts} time${attempts === 1 ? '' : 's'}; last error: ${lastCause}\n${(0,_text_js__WEBPACK_IMPORTED_MODULE_1__/* .errorText */ .kc)(last)}`);
        this.what = what;
        this.attempts = attempts;
        this.lastCause = lastCause;
        this.last = last;
        this.name = 'RetriesExhausted';
    }
}
/** Runs `fn` again on transient failures, with exponential back-off and jitter, honouring Retry-After. */
async function withRetry(fn, options) {
    const sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    const random = options.random ?? Math.random;
    const base = options.baseDelayMs ?? 1000;
    const max = options.maxDelayMs ?? 30000;
    for (let attempt = 0;; attempt++) {
        try {
            return await fn(attempt);
        }
        catch (error) {
            const verdict = classify(error);
            if (!verdict.transient)
                throw error;
            if (attempt >= options.retries)
                throw new RetriesExhausted(options.what, attempt + 1, verdict.cause, error);
            const backoff = Math.min(max, base * 2 ** attempt);
            const asked = Math.min(verdict.retryAfterMs ?? 0, options.maxRetryAfterMs ?? 60_000);
            const delay = Math.max(asked, Math.round(backoff / 2 + (random() * backoff) / 2));
            options.log.warning(`${options.what}: attempt ${attempt + 1} of ${options.retries + 1} failed (${verdict.cause}); retrying in ${(delay / 1000).toFixed(1)} s`);
            await sleep(delay);
        }
    }
}
/**
 * The part of a command's output that says why it failed: from buildx's first `ERROR` line on, else
 * the last lines. Build progress before it (heredocs, sizes like 502.3MB) must not look like a fault.
 */
function failurePart(output) {
    const lines = output.split('\n');
    const first = lines.findIndex((line) => /^(#\d+\s+)?(ERROR|error):?\s/.test(line.trim()));
    return (first >= 0 ? lines.slice(first) : lines.slice(-20)).join('\n');
}
function firstMatchLine(text, re) {
    const line = text.split('\n').find((l) => re.test(l)) ?? '';
    return line.trim().slice(0, 300);
}
function firstLine(text) {
    return text.trim().split('\n')[0].trim().slice(0, 300);
}
function lastLine(text) {
    return (0,_text_js__WEBPACK_IMPORTED_MODULE_1__/* .lastLines */ .w$)(text, 1).trim().slice(0, 300);
}


/***/ }),

/***/ 2613:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("assert");

/***/ }),

/***/ 181:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("buffer");

/***/ }),

/***/ 5317:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("child_process");

/***/ }),

/***/ 6982:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("crypto");

/***/ }),

/***/ 4434:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("events");

/***/ }),

/***/ 9896:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("fs");

/***/ }),

/***/ 8611:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("http");

/***/ }),

/***/ 5692:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("https");

/***/ }),

/***/ 9278:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("net");

/***/ }),

/***/ 4589:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:assert");

/***/ }),

/***/ 6698:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:async_hooks");

/***/ }),

/***/ 4573:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:buffer");

/***/ }),

/***/ 7540:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:console");

/***/ }),

/***/ 7598:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:crypto");

/***/ }),

/***/ 3053:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:diagnostics_channel");

/***/ }),

/***/ 610:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:dns");

/***/ }),

/***/ 8474:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:events");

/***/ }),

/***/ 3024:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:fs");

/***/ }),

/***/ 1455:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:fs/promises");

/***/ }),

/***/ 7067:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:http");

/***/ }),

/***/ 2467:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:http2");

/***/ }),

/***/ 4708:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:https");

/***/ }),

/***/ 8995:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:module");

/***/ }),

/***/ 7030:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:net");

/***/ }),

/***/ 8161:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:os");

/***/ }),

/***/ 6760:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:path");

/***/ }),

/***/ 643:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:perf_hooks");

/***/ }),

/***/ 1708:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:process");

/***/ }),

/***/ 1792:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:querystring");

/***/ }),

/***/ 7075:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:stream");

/***/ }),

/***/ 1692:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:tls");

/***/ }),

/***/ 3136:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:url");

/***/ }),

/***/ 7975:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:util");

/***/ }),

/***/ 3429:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:util/types");

/***/ }),

/***/ 5919:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:worker_threads");

/***/ }),

/***/ 8522:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:zlib");

/***/ }),

/***/ 857:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("os");

/***/ }),

/***/ 6928:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("path");

/***/ }),

/***/ 2203:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("stream");

/***/ }),

/***/ 5574:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("string_decoder");

/***/ }),

/***/ 3557:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("timers");

/***/ }),

/***/ 4756:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("tls");

/***/ }),

/***/ 2018:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("tty");

/***/ }),

/***/ 7016:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("url");

/***/ }),

/***/ 9023:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("util");

/***/ })

/******/ });
/************************************************************************/
/******/ // The module cache
/******/ var __webpack_module_cache__ = {};
/******/ 
/******/ // The require function
/******/ function __nccwpck_require__(moduleId) {
/******/ 	// Check if module is in cache
/******/ 	var cachedModule = __webpack_module_cache__[moduleId];
/******/ 	if (cachedModule !== undefined) {
/******/ 		return cachedModule.exports;
/******/ 	}
/******/ 	// Create a new module (and put it into the cache)
/******/ 	var module = __webpack_module_cache__[moduleId] = {
/******/ 		// no module.id needed
/******/ 		// no module.loaded needed
/******/ 		exports: {}
/******/ 	};
/******/ 
/******/ 	// Execute the module function
/******/ 	var threw = true;
/******/ 	try {
/******/ 		__webpack_modules__[moduleId].call(module.exports, module, module.exports, __nccwpck_require__);
/******/ 		threw = false;
/******/ 	} finally {
/******/ 		if(threw) delete __webpack_module_cache__[moduleId];
/******/ 	}
/******/ 
/******/ 	// Return the exports of the module
/******/ 	return module.exports;
/******/ }
/******/ 
/******/ // expose the modules object (__webpack_modules__)
/******/ __nccwpck_require__.m = __webpack_modules__;
/******/ 
/************************************************************************/
/******/ /* webpack/runtime/asset-relocator-loader */
/******/ if (typeof __nccwpck_require__ !== 'undefined') __nccwpck_require__.ab = decodeURIComponent(new URL('.', import.meta.url).pathname).slice(import.meta.url.match(/^file:\/\/\/\w:/) ? 1 : 0, -1) + "/";
/******/ 
/******/ /* webpack/runtime/async module */
/******/ (() => {
/******/ 	var webpackQueues = typeof Symbol === "function" ? Symbol("webpack queues") : "__webpack_queues__";
/******/ 	var webpackExports = typeof Symbol === "function" ? Symbol("webpack exports") : "__webpack_exports__";
/******/ 	var webpackError = typeof Symbol === "function" ? Symbol("webpack error") : "__webpack_error__";
/******/ 	var resolveQueue = (queue) => {
/******/ 		if(queue && queue.d < 1) {
/******/ 			queue.d = 1;
/******/ 			queue.forEach((fn) => (fn.r--));
/******/ 			queue.forEach((fn) => (fn.r-- ? fn.r++ : fn()));
/******/ 		}
/******/ 	}
/******/ 	var wrapDeps = (deps) => (deps.map((dep) => {
/******/ 		if(dep !== null && typeof dep === "object") {
/******/ 			if(dep[webpackQueues]) return dep;
/******/ 			if(dep.then) {
/******/ 				var queue = [];
/******/ 				queue.d = 0;
/******/ 				dep.then((r) => {
/******/ 					obj[webpackExports] = r;
/******/ 					resolveQueue(queue);
/******/ 				}, (e) => {
/******/ 					obj[webpackError] = e;
/******/ 					resolveQueue(queue);
/******/ 				});
/******/ 				var obj = {};
/******/ 				obj[webpackQueues] = (fn) => (fn(queue));
/******/ 				return obj;
/******/ 			}
/******/ 		}
/******/ 		var ret = {};
/******/ 		ret[webpackQueues] = x => {};
/******/ 		ret[webpackExports] = dep;
/******/ 		return ret;
/******/ 	}));
/******/ 	__nccwpck_require__.a = (module, body, hasAwait) => {
/******/ 		var queue;
/******/ 		hasAwait && ((queue = []).d = -1);
/******/ 		var depQueues = new Set();
/******/ 		var exports = module.exports;
/******/ 		var currentDeps;
/******/ 		var outerResolve;
/******/ 		var reject;
/******/ 		var promise = new Promise((resolve, rej) => {
/******/ 			reject = rej;
/******/ 			outerResolve = resolve;
/******/ 		});
/******/ 		promise[webpackExports] = exports;
/******/ 		promise[webpackQueues] = (fn) => (queue && fn(queue), depQueues.forEach(fn), promise["catch"](x => {}));
/******/ 		module.exports = promise;
/******/ 		body((deps) => {
/******/ 			currentDeps = wrapDeps(deps);
/******/ 			var fn;
/******/ 			var getResult = () => (currentDeps.map((d) => {
/******/ 				if(d[webpackError]) throw d[webpackError];
/******/ 				return d[webpackExports];
/******/ 			}))
/******/ 			var promise = new Promise((resolve) => {
/******/ 				fn = () => (resolve(getResult));
/******/ 				fn.r = 0;
/******/ 				var fnQueue = (q) => (q !== queue && !depQueues.has(q) && (depQueues.add(q), q && !q.d && (fn.r++, q.push(fn))));
/******/ 				currentDeps.map((dep) => (dep[webpackQueues](fnQueue)));
/******/ 			});
/******/ 			return fn.r ? promise : getResult();
/******/ 		}, (err) => ((err ? reject(promise[webpackError] = err) : outerResolve(exports)), resolveQueue(queue)));
/******/ 		queue && queue.d < 0 && (queue.d = 0);
/******/ 	};
/******/ })();
/******/ 
/******/ /* webpack/runtime/compat get default export */
/******/ (() => {
/******/ 	// getDefaultExport function for compatibility with non-harmony modules
/******/ 	__nccwpck_require__.n = (module) => {
/******/ 		var getter = module && module.__esModule ?
/******/ 			() => (module['default']) :
/******/ 			() => (module);
/******/ 		__nccwpck_require__.d(getter, { a: getter });
/******/ 		return getter;
/******/ 	};
/******/ })();
/******/ 
/******/ /* webpack/runtime/create fake namespace object */
/******/ (() => {
/******/ 	var getProto = Object.getPrototypeOf ? (obj) => (Object.getPrototypeOf(obj)) : (obj) => (obj.__proto__);
/******/ 	var leafPrototypes;
/******/ 	// create a fake namespace object
/******/ 	// mode & 1: value is a module id, require it
/******/ 	// mode & 2: merge all properties of value into the ns
/******/ 	// mode & 4: return value when already ns object
/******/ 	// mode & 16: return value when it's Promise-like
/******/ 	// mode & 8|1: behave like require
/******/ 	__nccwpck_require__.t = function(value, mode) {
/******/ 		if(mode & 1) value = this(value);
/******/ 		if(mode & 8) return value;
/******/ 		if(typeof value === 'object' && value) {
/******/ 			if((mode & 4) && value.__esModule) return value;
/******/ 			if((mode & 16) && typeof value.then === 'function') return value;
/******/ 		}
/******/ 		var ns = Object.create(null);
/******/ 		__nccwpck_require__.r(ns);
/******/ 		var def = {};
/******/ 		leafPrototypes = leafPrototypes || [null, getProto({}), getProto([]), getProto(getProto)];
/******/ 		for(var current = mode & 2 && value; typeof current == 'object' && !~leafPrototypes.indexOf(current); current = getProto(current)) {
/******/ 			Object.getOwnPropertyNames(current).forEach((key) => (def[key] = () => (value[key])));
/******/ 		}
/******/ 		def['default'] = () => (value);
/******/ 		__nccwpck_require__.d(ns, def);
/******/ 		return ns;
/******/ 	};
/******/ })();
/******/ 
/******/ /* webpack/runtime/define property getters */
/******/ (() => {
/******/ 	// define getter functions for harmony exports
/******/ 	__nccwpck_require__.d = (exports, definition) => {
/******/ 		for(var key in definition) {
/******/ 			if(__nccwpck_require__.o(definition, key) && !__nccwpck_require__.o(exports, key)) {
/******/ 				Object.defineProperty(exports, key, { enumerable: true, get: definition[key] });
/******/ 			}
/******/ 		}
/******/ 	};
/******/ })();
/******/ 
/******/ /* webpack/runtime/ensure chunk */
/******/ (() => {
/******/ 	__nccwpck_require__.f = {};
/******/ 	// This file contains only the entry chunk.
/******/ 	// The chunk loading function for additional chunks
/******/ 	__nccwpck_require__.e = (chunkId) => {
/******/ 		return Promise.all(Object.keys(__nccwpck_require__.f).reduce((promises, key) => {
/******/ 			__nccwpck_require__.f[key](chunkId, promises);
/******/ 			return promises;
/******/ 		}, []));
/******/ 	};
/******/ })();
/******/ 
/******/ /* webpack/runtime/get javascript chunk filename */
/******/ (() => {
/******/ 	// This function allow to reference async chunks
/******/ 	__nccwpck_require__.u = (chunkId) => {
/******/ 		// return url for filenames based on template
/******/ 		return "" + chunkId + ".index.js";
/******/ 	};
/******/ })();
/******/ 
/******/ /* webpack/runtime/hasOwnProperty shorthand */
/******/ (() => {
/******/ 	__nccwpck_require__.o = (obj, prop) => (Object.prototype.hasOwnProperty.call(obj, prop))
/******/ })();
/******/ 
/******/ /* webpack/runtime/make namespace object */
/******/ (() => {
/******/ 	// define __esModule on exports
/******/ 	__nccwpck_require__.r = (exports) => {
/******/ 		if(typeof Symbol !== 'undefined' && Symbol.toStringTag) {
/******/ 			Object.defineProperty(exports, Symbol.toStringTag, { value: 'Module' });
/******/ 		}
/******/ 		Object.defineProperty(exports, '__esModule', { value: true });
/******/ 	};
/******/ })();
/******/ 
/******/ /* webpack/runtime/import chunk loading */
/******/ (() => {
/******/ 	// no baseURI
/******/ 	
/******/ 	// object to store loaded and loading chunks
/******/ 	// undefined = chunk not loaded, null = chunk preloaded/prefetched
/******/ 	// [resolve, Promise] = chunk loading, 0 = chunk loaded
/******/ 	var installedChunks = {
/******/ 		792: 0
/******/ 	};
/******/ 	
/******/ 	var installChunk = (data) => {
/******/ 		var {ids, modules, runtime} = data;
/******/ 		// add "modules" to the modules object,
/******/ 		// then flag all "ids" as loaded and fire callback
/******/ 		var moduleId, chunkId, i = 0;
/******/ 		for(moduleId in modules) {
/******/ 			if(__nccwpck_require__.o(modules, moduleId)) {
/******/ 				__nccwpck_require__.m[moduleId] = modules[moduleId];
/******/ 			}
/******/ 		}
/******/ 		if(runtime) runtime(__nccwpck_require__);
/******/ 		for(;i < ids.length; i++) {
/******/ 			chunkId = ids[i];
/******/ 			if(__nccwpck_require__.o(installedChunks, chunkId) && installedChunks[chunkId]) {
/******/ 				installedChunks[chunkId][0]();
/******/ 			}
/******/ 			installedChunks[ids[i]] = 0;
/******/ 		}
/******/ 	
/******/ 	}
/******/ 	
/******/ 	__nccwpck_require__.f.j = (chunkId, promises) => {
/******/ 			// import() chunk loading for javascript
/******/ 			var installedChunkData = __nccwpck_require__.o(installedChunks, chunkId) ? installedChunks[chunkId] : undefined;
/******/ 			if(installedChunkData !== 0) { // 0 means "already installed".
/******/ 	
/******/ 				// a Promise means "currently loading".
/******/ 				if(installedChunkData) {
/******/ 					promises.push(installedChunkData[1]);
/******/ 				} else {
/******/ 					if(true) { // all chunks have JS
/******/ 						// setup Promise in chunk cache
/******/ 						var promise = import("./" + __nccwpck_require__.u(chunkId)).then(installChunk, (e) => {
/******/ 							if(installedChunks[chunkId] !== 0) installedChunks[chunkId] = undefined;
/******/ 							throw e;
/******/ 						});
/******/ 						var promise = Promise.race([promise, new Promise((resolve) => (installedChunkData = installedChunks[chunkId] = [resolve]))])
/******/ 						promises.push(installedChunkData[1] = promise);
/******/ 					}
/******/ 				}
/******/ 			}
/******/ 	};
/******/ 	
/******/ 	// no prefetching
/******/ 	
/******/ 	// no preloaded
/******/ 	
/******/ 	// no external install chunk
/******/ 	
/******/ 	// no on chunks loaded
/******/ })();
/******/ 
/************************************************************************/
/******/ 
/******/ // startup
/******/ // Load entry module and return exports
/******/ // This entry module used 'module' so it can't be inlined
/******/ var __webpack_exports__ = __nccwpck_require__(486);
/******/ __webpack_exports__ = await __webpack_exports__;
/******/ 
