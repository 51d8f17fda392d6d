/**
 * The files of a version or a draft as a row of buttons, each named by its path. Extra marks
 * (changed, problems) are drawn beside the name and hidden from the accessible name.
 */
export function FileTabs(props: {
  paths: string[];
  active: string;
  onSelect: (path: string) => void;
  label: string;
  marks?: (path: string) => { changed?: boolean; problems?: number };
}) {
  return (
    <div class="file-tabs" role="group" aria-label={props.label}>
      {props.paths.map((path) => {
        const marks = props.marks?.(path) ?? {};
        return (
          <button key={path} type="button" class={`file-tab ${path === props.active ? 'active' : ''}`} aria-pressed={path === props.active} onClick={() => props.onSelect(path)}>
            {path}
            {marks.changed === true && (
              <span class="file-tab-changed" aria-hidden="true" title="changed">
                ●
              </span>
            )}
            {marks.problems !== undefined && marks.problems > 0 && (
              <span class="file-tab-problems" aria-hidden="true">
                {marks.problems}
              </span>
            )}
          </button>
        );
      })}
    </div>
  );
}
