// Bundles the in-isolate runtime (src/runtime, no Node APIs) into one script that every pool
// isolate runs before user code. Type checking is done by `tsc -b` (src/runtime/tsconfig.json).
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

/**
 * core-js is the runtime's full URL parser, loaded on first use (src/runtime/web/url-core-js.ts).
 * Its modules install what they define on "the global object" and feature-detect the global URL.
 * Here they get a private global object instead, which inherits every built-in from the real one
 * but shadows the names core-js would write or probe: core-js then never replaces our URL and
 * URLSearchParams globals, never wraps our Request, and leaves no `__core-js_shared__` store on
 * the global user code sees. Its URL detection is answered "no native URL" up front, rather
 * than by running tests against our URL class (or whatever user code has put in its place).
 */
const coreJsPrivateGlobal = {
  name: 'core-js-private-global',
  setup(pluginBuild) {
    const replacements = {
      'global-this': `
        var shadowed = ['URL', 'URLSearchParams', 'fetch', 'Request', 'Response', 'Headers', 'document', 'navigator', 'process', 'Deno', 'window', 'self', 'global'];
        var privateGlobal = Object.create(globalThis);
        for (var i = 0; i < shadowed.length; i++) {
          Object.defineProperty(privateGlobal, shadowed[i], { value: undefined, writable: true, configurable: true });
        }
        module.exports = privateGlobal;`,
      'url-constructor-detection': 'module.exports = false;',
    };
    pluginBuild.onResolve({ filter: /(^|\/)(global-this|url-constructor-detection)(\.js)?$/ }, (args) => {
      if (!/[\\/]node_modules[\\/]core-js[\\/]/.test(args.importer)) return undefined;
      const name = /(global-this|url-constructor-detection)/.exec(args.path)[1];
      return { path: name, namespace: 'core-js-private-global' };
    });
    pluginBuild.onLoad({ filter: /.*/, namespace: 'core-js-private-global' }, (args) => ({ contents: replacements[args.path], loader: 'js' }));
  },
};

const root = fileURLToPath(new URL('..', import.meta.url));
await build({
  entryPoints: [`${root}src/runtime/index.ts`],
  outfile: `${root}dist/runtime/runtime.bundle.js`,
  bundle: true,
  format: 'iife',
  platform: 'neutral',
  mainFields: ['module', 'main'],
  target: 'es2022',
  minify: true,
  legalComments: 'none',
  logLevel: 'warning',
  plugins: [coreJsPrivateGlobal],
});
