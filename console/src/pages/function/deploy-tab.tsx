import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { api, apiPath, ApiError, toApiError } from '../../api/client.js';
import type { VersionDetail } from '../../api/types.js';
import { useAction } from '../../api/use-action.js';
import { useApi } from '../../api/use-api.js';
import { ConfirmDialog } from '../../components/confirm-dialog.js';
import type { FileProblem, FileSetEditor } from '../../components/editor/file-set-editor.js';
import { relativeTime } from '../../components/format.js';
import { Card, ErrorBanner, Notice, Spinner } from '../../components/ui.js';
import { useDebounced } from '../../components/use-debounced.js';
import { useSession } from '../../session-context.js';
import { placeProblems, type UnplacedProblem } from './code/deploy-problems.js';
import { DeployedNotice, refusalSummary, type Deployed } from './code/deploy-result.js';
import { dropDraft, loadDraft, sameFiles, saveDraft, type Draft } from './code/draft.js';
import { FileActions } from './code/file-actions.js';
import { FileTabs } from './code/file-tabs.js';
import { EditorHost } from './code/editor-host.js';
import { mainRenameEdit, manifestFile, manifestName, manifestYaml, readManifest, versionFiles } from './code/manifest-yaml.js';
import { ProblemsPanel } from './code/problems-panel.js';
import type { TabProps } from './function-page.js';

type Deployment = Omit<Deployed, 'promoted'>;

type Pending = { kind: 'other-name'; name: string } | { kind: 'delete'; path: string } | { kind: 'reset' };

const isMac = typeof navigator !== 'undefined' && /Mac|iPhone|iPad/.test(navigator.platform);

/** Deploy a new version: edit the current one's isola.yaml and files, then send them. */
export function DeployTab(props: TabProps) {
  // Another function starts over with its own draft.
  return <DeployEditor key={props.fn.name} {...props} />;
}

function DeployEditor(props: TabProps) {
  const { fn } = props;
  const { toast } = useSession();
  const current = useApi<VersionDetail>(`/api/v1/functions/${encodeURIComponent(fn.name)}/versions/${fn.version}`);

  // What the editor starts from (a kept draft, else the current version), and a generation
  // that recreates the editor on reset.
  const [initial, setInitial] = useState<Draft | null>(() => loadDraft(fn.name));
  const [restored, setRestored] = useState(initial !== null);
  const [generation, setGeneration] = useState(0);
  // What "changed" compares with: the version the draft started from, or what was just deployed.
  const [baseFiles, setBaseFiles] = useState<[string, string][] | null>(null);
  const [baseVersion, setBaseVersion] = useState<number | null>(initial?.base ?? null);

  const editor = useRef<FileSetEditor | null>(null);
  const [paths, setPaths] = useState<string[]>([]);
  const [active, setActive] = useState('');
  const [texts, setTexts] = useState<Map<string, string>>(new Map());
  const [problems, setProblems] = useState<FileProblem[]>([]);
  const [unplaced, setUnplaced] = useState<UnplacedProblem[]>([]);
  const [checked, setChecked] = useState(false);

  const [promote, setPromote] = useState(true);
  const deployment = useAction();
  const { busy, error: failure, setError: setFailure } = deployment;
  const [deployed, setDeployed] = useState<Deployed | null>(null);
  const [pending, setPending] = useState<Pending | null>(null);

  const fromVersion = useCallback(
    (detail: VersionDetail): Draft => ({ base: detail.version, files: versionFiles(detail), active: detail.manifest.main, savedAt: new Date().toISOString() }),
    [],
  );

  // Start from the current version once it is loaded (unless a kept draft was restored).
  useEffect(() => {
    const detail = current.data;
    if (detail === null || detail.version !== fn.version) return;
    if (initial === null) {
      setInitial(fromVersion(detail));
      setBaseVersion(detail.version);
    }
    if (baseFiles === null && (initial === null || initial.base === detail.version)) setBaseFiles(versionFiles(detail));
  }, [current.data, fn.version, initial, baseFiles, fromVersion]);

  // Without the sources (an older gateway, a lost version) the draft starts from the manifest.
  const startWithoutSources = () => {
    const main = fn.manifest.main;
    setInitial({ base: fn.version, files: [[manifestFile, manifestYaml(fn.manifest)], [main, '']], active: main, savedAt: new Date().toISOString() });
    setBaseVersion(fn.version);
  };

  // Tabs follow at once; the texts (for "changed" marks, the name check and the kept draft)
  // are copied out at most every 150 ms, not on every keystroke.
  const textsTimer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const refresh = useCallback(() => {
    const instance = editor.current;
    if (instance === null) return;
    setPaths(instance.paths());
    setActive(instance.active);
    if (textsTimer.current !== null) return;
    textsTimer.current = setTimeout(() => {
      textsTimer.current = null;
      if (editor.current !== null) setTexts(new Map(editor.current.texts()));
    }, 150);
  }, []);
  useEffect(() => () => {
    if (textsTimer.current !== null) clearTimeout(textsTimer.current);
  }, []);

  // Keep the draft for this browser tab while it differs from its base, once the typing pauses.
  const dirty = useMemo(() => baseFiles === null || !sameFiles([...texts.entries()], baseFiles), [texts, baseFiles]);
  const started = initial !== null;
  const toKeep = useDebounced(useMemo(() => ({ started, texts, active, dirty, baseVersion }), [started, texts, active, dirty, baseVersion]), 300);
  useEffect(() => {
    const { texts: files, baseVersion: base } = toKeep;
    if (!toKeep.started || files.size === 0 || base === null) return;
    if (toKeep.dirty) saveDraft(fn.name, { base, files: [...files.entries()], active: toKeep.active, savedAt: new Date().toISOString() });
    else dropDraft(fn.name);
  }, [toKeep, fn.name]);
  // Leaving the tab must not lose the last keystrokes: keep the draft right away. (This
  // cleanup runs before the editor's own, so the editor is still there to read.)
  const keepOnLeave = useRef({ baseFiles, baseVersion, name: fn.name });
  keepOnLeave.current = { baseFiles, baseVersion, name: fn.name };
  useEffect(
    () => () => {
      const instance = editor.current;
      const { baseFiles: base, baseVersion: version, name } = keepOnLeave.current;
      if (instance === null || version === null) return;
      const files = instance.texts();
      if (base === null || !sameFiles(files, base)) saveDraft(name, { base: version, files, active: instance.active, savedAt: new Date().toISOString() });
      else dropDraft(name);
    },
    [],
  );

  const yamlText = texts.get(manifestFile) ?? '';
  const nameInManifest = useMemo(() => manifestName(yamlText), [yamlText]);
  const otherName = nameInManifest !== null && nameInManifest !== fn.name ? nameInManifest : null;

  /** Checks the draft, asks about another function's name, then sends it. */
  const deploy = (confirmedName?: string) => {
    const instance = editor.current;
    if (instance === null || busy) return;
    setFailure(null);
    setDeployed(null);
    setUnplaced([]);
    const sent = new Map(instance.texts());
    const read = readManifest(sent.get(manifestFile) ?? '');
    if ('syntaxErrors' in read) {
      // The live check already marks them: take the author there instead of sending.
      instance.setProblems(new Map());
      setChecked(true);
      const first = instance.problems().find((problem) => problem.file === manifestFile);
      if (first !== undefined) instance.reveal(manifestFile, { offset: first.from });
      toast('isola.yaml has YAML syntax errors: fix them and deploy again', 'error');
      return;
    }
    if ('problem' in read) {
      instance.setProblems(new Map([[manifestFile, [read.problem]]]));
      setChecked(true);
      instance.reveal(manifestFile, { line: 1 });
      return;
    }
    const name = read.manifest.name;
    if (typeof name === 'string' && name !== fn.name && confirmedName !== name) {
      setPending({ kind: 'other-name', name });
      return;
    }
    void send(instance, read.manifest, sent);
  };

  const send = (instance: FileSetEditor, manifest: Record<string, unknown>, sent: Map<string, string>) =>
    deployment.run(async () => {
      const files = Object.fromEntries([...sent.entries()].filter(([path]) => path !== manifestFile));
      let result: Deployment;
      try {
        result = await api<Deployment>(apiPath('/functions', { promote: promote ? undefined : 'false' }), { method: 'POST', body: { manifest, files } });
      } catch (error) {
        const apiError = toApiError(error);
        if (editor.current !== instance) throw apiError;
        const placed = placeProblems(apiError, sent);
        instance.setProblems(placed.byFile);
        setUnplaced(placed.unplaced);
        setChecked(true);
        // Show the first problem without taking the focus from where the author is.
        const [firstFile, firstProblems] = [...placed.byFile.entries()][0] ?? [];
        if (firstFile !== undefined && firstProblems?.[0] !== undefined) instance.reveal(firstFile, { offset: firstProblems[0].from, focus: false });
        throw placed.byFile.size === 0 && placed.unplaced.length === 0 ? apiError : new ApiError(apiError.status, apiError.code, refusalSummary(apiError, placed));
      }
      toast(`Deployed ${result.name} version ${result.version}`);
      props.reload();
      if (editor.current === null) {
        // The author left the tab meanwhile: the draft kept on leaving is what was deployed.
        const kept = loadDraft(fn.name);
        if (result.name === fn.name && kept !== null && sameFiles(kept.files, [...sent.entries()])) dropDraft(fn.name);
        return;
      }
      if (editor.current === instance) instance.setProblems(new Map());
      setChecked(false);
      setDeployed({ ...result, promoted: promote });
      if (result.name === fn.name) {
        setBaseFiles([...sent.entries()]);
        setBaseVersion(result.version);
        dropDraft(fn.name);
        setRestored(false);
      }
    });
  const deployRef = useRef(deploy);
  deployRef.current = deploy;

  const reveal = (problem: FileProblem) => editor.current?.reveal(problem.file, { offset: problem.from });

  const rename = (from: string, to: string) => {
    const instance = editor.current;
    if (instance === null) return;
    instance.rename(from, to);
    // Keep `main` pointing at the entry file.
    const edit = mainRenameEdit(instance.text(manifestFile) ?? '', from, to);
    if (edit !== null) {
      instance.replace(manifestFile, edit.from, edit.to, edit.insert);
      toast(`main in isola.yaml now points at ${to}`);
    }
  };

  const reset = () => {
    const detail = current.data;
    if (detail === null || detail.version !== fn.version) {
      current.reload();
      return;
    }
    dropDraft(fn.name);
    setInitial(fromVersion(detail));
    setBaseFiles(versionFiles(detail));
    setBaseVersion(detail.version);
    setRestored(false);
    setUnplaced([]);
    setFailure(null);
    setChecked(false);
    setGeneration((value) => value + 1);
  };

  const confirmPending = () => {
    const action = pending;
    setPending(null);
    if (action === null) return;
    if (action.kind === 'other-name') deploy(action.name);
    else if (action.kind === 'delete') editor.current?.remove(action.path);
    else reset();
  };

  if (initial === null) {
    return (
      <Card title="New version">
        {current.error !== null ? (
          <>
            <ErrorBanner error={current.error} title={`The sources of version ${fn.version} could not be loaded`} />
            <div class="row">
              <button type="button" class="button" onClick={current.reload}>
                Try again
              </button>
              <button type="button" class="button button-ghost" onClick={startWithoutSources}>
                Start from the manifest only
              </button>
            </div>
          </>
        ) : (
          <Spinner label={`Loading version ${fn.version}…`} />
        )}
      </Card>
    );
  }

  const changed = (path: string) => baseFiles !== null && new Map(baseFiles).get(path) !== texts.get(path);
  const problemCount = (path: string) => problems.filter((problem) => problem.file === path).length;
  const baseMoved = baseVersion !== null && baseVersion !== fn.version && deployed === null;

  return (
    <section class="card deploy-card">
      <div class="card-header">
        <div class="card-title-line">
          <h2>New version of {fn.name}</h2>
          <span class="muted code-meta">starting from version {baseVersion ?? fn.version}</span>
        </div>
        <div class="actions">
          <button type="button" class="button button-small" disabled={!dirty && !restored && !baseMoved} onClick={() => (dirty ? setPending({ kind: 'reset' }) : reset())}>
            Reset to current version
          </button>
        </div>
      </div>
      {restored && dirty && (
        <Notice>
          <span>
            Restored your draft from {relativeTime(initial.savedAt)} (started from version {initial.base}). It is kept in this browser tab until you deploy or reset it.
          </span>
        </Notice>
      )}
      {baseMoved && (
        <Notice kind="warning">
          <span>
            Version {fn.version} is now the one <code>latest</code> serves; this draft started from version {baseVersion}. Deploying replaces it with the draft — reset to start over
            from version {fn.version}.
          </span>
        </Notice>
      )}
      {otherName !== null && (
        <Notice kind="warning">
          <span>
            isola.yaml names the function <strong>{otherName}</strong>: deploying creates or updates {otherName}, not {fn.name}.
          </span>
        </Notice>
      )}

      <FileTabs label="Files of the draft" paths={paths} active={active} onSelect={(path) => editor.current?.open(path)} marks={(path) => ({ changed: changed(path), problems: problemCount(path) })} />
      <FileActions
        paths={paths}
        active={active}
        onAdd={(path) => {
          editor.current?.add(path, '');
          editor.current?.focus();
        }}
        onRename={rename}
        onDelete={(path) => ((texts.get(path) ?? '').trim() === '' ? editor.current?.remove(path) : setPending({ kind: 'delete', path }))}
      />
      <EditorHost
        key={generation}
        initial={initial}
        onReady={(instance) => {
          editor.current = instance;
          if (instance !== null) setTexts(new Map(instance.texts()));
          refresh();
        }}
        onChange={refresh}
        onProblems={setProblems}
        onSave={() => deployRef.current()}
      />

      {failure !== null && <ErrorBanner error={failure} title="The gateway refused the deploy" />}
      <ProblemsPanel problems={problems} unplaced={unplaced} checked={checked} onReveal={reveal} />

      <div class="deploy-footer">
        <label class="checkbox">
          <input type="checkbox" checked={promote} onChange={(event) => setPromote(event.currentTarget.checked)} />
          Make it the latest version
        </label>
        <span class="help deploy-promote-help">{promote ? 'latest serves the new version within a second.' : 'latest keeps serving its version: split traffic afterwards for a canary.'}</span>
        <div class="spacer" />
        <span class="help hide-narrow">
          <kbd>{isMac ? '⌘' : 'Ctrl'}</kbd>+<kbd>S</kbd> deploys
        </span>
        <button type="button" class="button button-primary" disabled={busy} onClick={() => deploy()}>
          {busy ? 'Deploying…' : 'Deploy'}
        </button>
      </div>

      {deployed !== null && <DeployedNotice deployed={deployed} />}

      {pending?.kind === 'other-name' && (
        <ConfirmDialog title={`This deploys a different function: ${pending.name}`} confirmLabel={`Deploy ${pending.name}`} onConfirm={confirmPending} onCancel={() => setPending(null)}>
          <p>
            The manifest's <code>name</code> decides which function a deploy goes to. isola.yaml names <strong>{pending.name}</strong>, so this creates or updates {pending.name}{' '}
            and leaves {fn.name} as it is.
          </p>
        </ConfirmDialog>
      )}
      {pending?.kind === 'delete' && (
        <ConfirmDialog title={`Delete ${pending.path}?`} confirmLabel="Delete file" danger onConfirm={confirmPending} onCancel={() => setPending(null)}>
          <p>The file leaves the draft. Reset to current version brings back the files of version {fn.version}.</p>
        </ConfirmDialog>
      )}
      {pending?.kind === 'reset' && (
        <ConfirmDialog title="Discard your changes?" confirmLabel="Discard and reset" danger onConfirm={confirmPending} onCancel={() => setPending(null)}>
          <p>The draft goes back to the files of version {fn.version}. Your edits are lost.</p>
        </ConfirmDialog>
      )}
    </section>
  );
}
