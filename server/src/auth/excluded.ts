/**
 * @module `excludedRoutePaths`: Python fnmatch patterns (`*` matches any run of characters,
 * including `/`; `?` one character; `[...]` / `[!...]` a set), tried on the path and on the path
 * without its trailing slash, as the Python AgentOS does. Matched on the path as received
 * (before percent-decoding), so an encoded variant is never excluded by accident.
 */

function translate(pattern: string): string {
  let out = '^';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') out += '.*';
    else if (c === '?') out += '.';
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end === -1) {
        out += '\\[';
        continue;
      }
      let set = pattern.slice(i + 1, end);
      if (set.startsWith('!')) set = `^${set.slice(1)}`;
      out += `[${set.replace(/\\/g, '\\\\')}]`;
      i = end;
    } else out += c.replace(/[.+^${}()|\\/]/g, '\\$&');
  }
  return `${out}$`;
}

/**
 * Compiles the patterns once.
 * @example createPathExcluder(['/health', '/public/*'])('/public/a/b') // true
 */
export function createPathExcluder(patterns: readonly string[]): (path: string) => boolean {
  if (patterns.length === 0) return () => false;
  const regexes = patterns.map((p) => new RegExp(translate(p), 's'));
  return (path) => {
    const trimmed = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
    return regexes.some((r) => r.test(path) || r.test(trimmed));
  };
}
