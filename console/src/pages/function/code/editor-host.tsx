import { useEffect, useRef } from 'preact/hooks';
import { FileSetEditor, type FileProblem } from '../../../components/editor/file-set-editor.js';
import type { Draft } from './draft.js';
import { manifestFile } from './manifest-yaml.js';

/** Mounts the draft's editor once (a new key recreates it, e.g. on reset). */
export function EditorHost(props: {
  initial: Draft;
  onReady: (editor: FileSetEditor | null) => void;
  onChange: () => void;
  onProblems: (problems: FileProblem[]) => void;
  onSave: () => void;
}) {
  const parent = useRef<HTMLDivElement>(null);
  const callbacks = useRef(props);
  callbacks.current = props;
  useEffect(() => {
    if (parent.current === null) return;
    const instance = new FileSetEditor({
      parent: parent.current,
      files: callbacks.current.initial.files,
      active: callbacks.current.initial.active,
      isYaml: (path) => path === manifestFile || /\.ya?ml$/i.test(path),
      onChange: () => callbacks.current.onChange(),
      onProblems: (problems) => callbacks.current.onProblems(problems),
      onSave: () => callbacks.current.onSave(),
    });
    callbacks.current.onReady(instance);
    return () => {
      instance.destroy();
      callbacks.current.onReady(null);
    };
  }, []);
  return <div class="editor deploy-editor" ref={parent} />;
}
