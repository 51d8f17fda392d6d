// A module resolve hook for `isola test`: tests import the testing helper as `@isola/cli/local`.
// A folder that installed @isola/cli resolves it from its own node_modules; one that did not (a
// folder made by `isola init` anywhere, before `npm install`) gets the CLI running the tests,
// resolved from here by the package's own name.
interface ResolveContext {
  parentURL?: string;
  conditions: string[];
}
type NextResolve = (specifier: string, context: ResolveContext) => Promise<{ url: string; format?: string | null; shortCircuit?: boolean }>;

const ownPackage = /^@isola\/cli(\/|$)/;

export async function resolve(specifier: string, context: ResolveContext, nextResolve: NextResolve): Promise<{ url: string; format?: string | null; shortCircuit?: boolean }> {
  try {
    return await nextResolve(specifier, context);
  } catch (error) {
    if (!ownPackage.test(specifier) || (error as { code?: string }).code !== 'ERR_MODULE_NOT_FOUND') throw error;
    return nextResolve(specifier, { ...context, parentURL: import.meta.url });
  }
}
