import type { HeaderList } from '../../../electron/engine/gateway/types.ts';

/** A HeaderList over plain arrays, as the proxy's parser hands them over: names lower-cased. */
export function headerList(pairs: Array<[string, string]> = []): HeaderList {
  const names = pairs.map(([name]) => name.toLowerCase());
  const values = pairs.map(([, value]) => value);
  return {
    names,
    values,
    get(name) {
      const at = names.indexOf(name);
      return at < 0 ? undefined : values[at];
    },
    set(name, value) {
      this.remove(name);
      this.append(name, value);
    },
    append(name, value) {
      names.push(name);
      values.push(value);
    },
    remove(name) {
      for (let i = names.length - 1; i >= 0; i--) {
        if (names[i] === name) {
          names.splice(i, 1);
          values.splice(i, 1);
        }
      }
    },
  };
}
