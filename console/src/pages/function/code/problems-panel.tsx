import type { FileProblem } from '../../../components/editor/file-set-editor.js';
import type { UnplacedProblem } from './deploy-problems.js';

/**
 * Every problem of the draft under the editor; a placed one is a button that opens its file
 * at its line.
 */
export function ProblemsPanel(props: { problems: FileProblem[]; unplaced: UnplacedProblem[]; checked: boolean; onReveal: (problem: FileProblem) => void }) {
  const count = props.problems.length + props.unplaced.length;
  return (
    <section class={`problems ${count > 0 ? 'has-problems' : ''}`} aria-labelledby="problems-heading">
      <div class="problems-header">
        <h3 id="problems-heading">Problems</h3>
        <span class={`badge ${count > 0 ? 'badge-bad' : 'badge-neutral'}`} aria-live="polite">
          {count === 0 ? 'none' : count}
        </span>
      </div>
      {count === 0 ? (
        <p class="help">
          {props.checked
            ? 'No problems left in the last check. Deploy again to have the gateway check the manifest and bundle the code.'
            : 'YAML syntax is checked as you type; the gateway checks the manifest and bundles the code when you deploy.'}
        </p>
      ) : (
        <ul class="problem-list" aria-labelledby="problems-heading">
          {props.problems.map((problem, index) => (
            <li key={`${problem.file}:${problem.from}:${index}`}>
              <button type="button" class={`problem problem-${problem.severity}`} onClick={() => props.onReveal(problem)}>
                <span class="problem-where">
                  {problem.file}:{problem.line}
                </span>
                <span class="problem-source">{problem.source}</span>
                <span class="problem-message">{problem.message}</span>
              </button>
            </li>
          ))}
          {props.unplaced.map((problem, index) => (
            <li key={`unplaced-${index}`}>
              <div class="problem problem-error">
                <span class="problem-where">{problem.source}</span>
                <span class="problem-message">{problem.message}</span>
              </div>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
