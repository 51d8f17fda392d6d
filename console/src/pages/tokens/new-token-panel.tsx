import { useEffect, useRef, useState } from 'preact/hooks';
import { CopyButton } from '../../components/copy-button.js';
import type { CreatedToken } from './create-token-form.js';

/** The one time a token's value is visible: copy it now or never. */
export function NewTokenPanel(props: { token: CreatedToken; onDone: () => void }) {
  const panel = useRef<HTMLElement>(null);
  const input = useRef<HTMLInputElement>(null);
  const [copyFailed, setCopyFailed] = useState(false);

  useEffect(() => {
    panel.current?.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
    input.current?.focus();
    input.current?.select();
  }, [props.token.id]);
  // Done removes the panel with the focus in it: keep the focus on the page rather than losing it.
  useEffect(() => {
    const element = panel.current;
    return () => {
      if (element?.contains(document.activeElement) === true) document.getElementById('main')?.focus({ preventScroll: true });
    };
  }, []);

  return (
    <section ref={panel} class="card new-token" aria-labelledby="new-token-title">
      <h2 id="new-token-title">
        Token “{props.token.name}” created
      </h2>
      <p class="new-token-warning">
        <strong>Copy it now: it will not be shown again.</strong> Isola keeps only a hash of it. Lost tokens cannot be recovered — revoke and create another.
      </p>
      <div class="new-token-value">
        <label for="new-token" class="visually-hidden">
          New token
        </label>
        <input id="new-token" ref={input} class="mono" readOnly value={props.token.token} onFocus={(event) => event.currentTarget.select()} spellcheck={false} />
        <CopyButton
          text={props.token.token}
          class="button-primary"
          onFailed={() => {
            input.current?.select();
            setCopyFailed(true);
          }}
        />
      </div>
      {copyFailed && (
        <p class="help field-error" role="alert">
          The browser did not allow copying: the token is selected, press Ctrl+C (⌘C).
        </p>
      )}
      <p class="help">
        Use it as <code>Authorization: Bearer …</code>, or <code>ISOLA_TOKEN=…</code> for the CLI.
      </p>
      <div>
        <button type="button" class="button" onClick={props.onDone}>
          Done
        </button>
      </div>
    </section>
  );
}
