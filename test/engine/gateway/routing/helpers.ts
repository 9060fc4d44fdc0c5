import { routerConfig, type RouterConfig, type RouterInput } from '../../../../shared/contract/gateway-config.ts';
import type { HeaderList } from '../../../../electron/engine/gateway/types.ts';

/** A HeaderList over plain arrays, names lower-cased as the proxy's parser hands them over. */
export function headerList(pairs: Array<[string, string]> = []): HeaderList {
  const names = pairs.map(([name]) => name.toLowerCase());
  const values = pairs.map(([, value]) => value);
  return {
    names,
    values,
    get(name) {
      const index = names.indexOf(name);
      return index === -1 ? undefined : values[index];
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

/** Routers as the config check hands them over: parsed, defaults filled; a service unless told otherwise. */
export function routers(...inputs: Array<Partial<RouterInput> & { name: string }>): RouterConfig[] {
  return inputs.map((input) => routerConfig.parse(input.redirect ? input : { service: 'svc', ...input }));
}
