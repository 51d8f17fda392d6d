// Stacks of user errors run through runtime functions (dispatch, the console). Those frames are
// minified noise to a function author, so stacks the runtime reports leave them out.
//
// The runtime learns its own script name from a stack (the host picks the name). If the host
// gave none, the name is "<isolated-vm>", shared with every unnamed script, and nothing is
// removed. The stack is captured lazily, on first use: capturing it while the bundle loads
// makes V8 recompile the whole top-level script for source positions (~5 ms per isolate).
let runtimeScriptName: string | null | undefined;

function scriptNameOf(stack: unknown): string | null {
  if (typeof stack !== 'string') return null;
  const frame = (stack.split('\n')[1] ?? '').trim();
  const name = /\(?([^()\s]+):\d+:\d+\)?$/.exec(frame)?.[1];
  return name === undefined || name === '<isolated-vm>' ? null : name;
}

/** Removes the runtime's own "at ..." lines from a V8 stack string. */
export function withoutRuntimeFrames(stack: string): string {
  if (runtimeScriptName === undefined) runtimeScriptName = scriptNameOf(new Error().stack);
  if (runtimeScriptName === null) return stack;
  const marker = `${runtimeScriptName}:`;
  return stack
    .split('\n')
    .filter((line) => !(/^\s+at /.test(line) && line.includes(marker)))
    .join('\n');
}
