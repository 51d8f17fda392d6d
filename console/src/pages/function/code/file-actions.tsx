import { useEffect, useRef, useState } from 'preact/hooks';
import { manifestFile } from './manifest-yaml.js';

/** Why a path cannot name a new file of the draft, or null when it can. */
export function filePathProblem(path: string, existing: string[]): string | null {
  if (path === '') return 'Type a path, like src/util.ts.';
  if (path.length > 512) return 'A path is at most 512 characters.';
  if (path === manifestFile) return 'isola.yaml is the manifest: it is already the first file.';
  if (path.startsWith('/') || path.includes('\\')) return 'Use a relative path with forward slashes, like src/util.ts.';
  if (path.split('/').some((part) => part === '' || part === '.' || part === '..')) return 'A path has no empty, "." or ".." parts.';
  if (/\s$|^\s/.test(path)) return 'A path does not start or end with a space.';
  if (existing.includes(path)) return `${path} is already in the draft.`;
  return null;
}

/** Add a file; rename or delete the open one. */
export function FileActions(props: {
  paths: string[];
  active: string;
  onAdd: (path: string) => void;
  onRename: (from: string, to: string) => void;
  onDelete: (path: string) => void;
}) {
  const [adding, setAdding] = useState('');
  const [addError, setAddError] = useState<string | null>(null);
  const [renaming, setRenaming] = useState<string | null>(null);
  const [renameError, setRenameError] = useState<string | null>(null);
  const isManifest = props.active === manifestFile;
  const renameInput = useRef<HTMLInputElement>(null);
  const renameButton = useRef<HTMLButtonElement>(null);
  const isRenaming = renaming !== null;
  const wasRenaming = useRef(false);
  useEffect(() => {
    // The rename form replaces the Rename button and back: the focus follows, rather than
    // dropping to the page when the form goes (Escape, Cancel, done).
    if (isRenaming) renameInput.current?.select();
    else if (wasRenaming.current && (document.activeElement === null || document.activeElement === document.body)) renameButton.current?.focus();
    wasRenaming.current = isRenaming;
  }, [isRenaming]);

  const add = (event: Event) => {
    event.preventDefault();
    const path = adding.trim();
    const problem = filePathProblem(path, props.paths);
    setAddError(problem);
    if (problem !== null) return;
    props.onAdd(path);
    setAdding('');
  };

  const rename = (event: Event) => {
    event.preventDefault();
    if (renaming === null) return;
    const path = renaming.trim();
    if (path === props.active) return setRenaming(null);
    const problem = filePathProblem(path, props.paths);
    setRenameError(problem);
    if (problem !== null) return;
    props.onRename(props.active, path);
    setRenaming(null);
  };

  return (
    <div class="file-actions">
      <form class="file-action-form" onSubmit={add} noValidate>
        <label for="new-file-path" class="visually-hidden">
          New file path
        </label>
        <input
          id="new-file-path"
          class="mono"
          placeholder="src/new-file.ts"
          value={adding}
          aria-invalid={addError !== null}
          aria-describedby={addError !== null ? 'new-file-error' : undefined}
          onInput={(event) => {
            setAdding(event.currentTarget.value);
            setAddError(null);
          }}
        />
        <button type="submit" class="button button-small">
          Add file
        </button>
        {addError !== null && (
          <p id="new-file-error" class="field-error" role="alert">
            {addError}
          </p>
        )}
      </form>
      <div class="spacer" />
      {renaming !== null ? (
        <form class="file-action-form" onSubmit={rename} noValidate>
          <label for="rename-file-path" class="visually-hidden">
            New path for {props.active}
          </label>
          <input
            id="rename-file-path"
            class="mono"
            value={renaming}
            aria-invalid={renameError !== null}
            aria-describedby={renameError !== null ? 'rename-file-error' : undefined}
            onInput={(event) => {
              setRenaming(event.currentTarget.value);
              setRenameError(null);
            }}
            onKeyDown={(event) => {
              if (event.key === 'Escape') setRenaming(null);
            }}
            ref={renameInput}
          />
          <button type="submit" class="button button-small">
            Rename
          </button>
          <button type="button" class="button button-small button-ghost" onClick={() => setRenaming(null)}>
            Cancel
          </button>
          {renameError !== null && (
            <p id="rename-file-error" class="field-error" role="alert">
              {renameError}
            </p>
          )}
        </form>
      ) : (
        <div class="actions">
          <button
            ref={renameButton}
            type="button"
            class="button button-small button-ghost"
            disabled={isManifest}
            title={isManifest ? 'isola.yaml is the manifest: it keeps its name' : undefined}
            onClick={() => {
              setRenaming(props.active);
              setRenameError(null);
            }}
          >
            Rename {isManifest ? 'file' : props.active}
          </button>
          <button
            type="button"
            class="button button-small button-danger"
            disabled={isManifest || props.paths.length <= 2}
            title={isManifest ? 'isola.yaml is the manifest: every deploy needs it' : props.paths.length <= 2 ? 'A deploy needs at least one source file' : undefined}
            onClick={() => props.onDelete(props.active)}
          >
            Delete {isManifest ? 'file' : props.active}
          </button>
        </div>
      )}
    </div>
  );
}
