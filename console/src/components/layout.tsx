import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { Link, useLocation } from 'wouter-preact';
import { useSession } from '../session-context.js';

// 16×16 line icons (stroke paths), drawn here rather than taken from a font that may lack them.
const icons: Record<string, string> = {
  functions: 'M10 2.5c-2 0-2.5 1.2-2.8 3L6 13c-.3 1.7-.9 2.5-2.5 2.5M4.5 7.5h5.5',
  invocations: 'M2 8h9M8 4.5 11.5 8 8 11.5M14 3v10',
  queues: 'M2.5 4h11M2.5 8h11M2.5 12h7',
  tokens: 'M6 10a3.5 3.5 0 1 1 2.8-1.4L14 13.8M11.5 11.3l1.5-1.5M12.8 12.6l1.2-1.2',
};

const sections = [
  { href: '/functions', label: 'Functions', icon: icons.functions },
  { href: '/invocations', label: 'Invocations', icon: icons.invocations },
  { href: '/queues', label: 'Queues', icon: icons.queues },
  { href: '/tokens', label: 'Tokens', icon: icons.tokens },
];

export function Layout(props: { children: ComponentChildren }) {
  const { caller, signOut } = useSession();
  const [location] = useLocation();
  const [menuOpen, setMenuOpen] = useState(false);
  return (
    <div class="shell">
      <a class="skip-link" href="#main" onClick={(event) => {
        event.preventDefault();
        document.getElementById('main')?.focus();
      }}>
        Skip to content
      </a>
      <aside class={`sidebar ${menuOpen ? 'open' : ''}`}>
        <div class="brand">
          <span class="logo" aria-hidden="true" />
          <span>Isola</span>
          <button type="button" class="menu-toggle" aria-expanded={menuOpen} aria-controls="main-nav" onClick={() => setMenuOpen(!menuOpen)}>
            <span class="visually-hidden">Menu</span>☰
          </button>
        </div>
        <nav id="main-nav" aria-label="Main">
          {sections.map((section) => {
            const active = location === section.href || location.startsWith(`${section.href}/`);
            return (
              <Link key={section.href} href={section.href} class={`nav-link ${active ? 'active' : ''}`} aria-current={active ? 'page' : undefined} onClick={() => setMenuOpen(false)}>
                <svg class="nav-icon" viewBox="0 0 16 16" aria-hidden="true">
                  <path d={section.icon} />
                </svg>
                {section.label}
              </Link>
            );
          })}
        </nav>
        <div class="who">
          <div class="who-name" title={caller.namespace === null ? 'all namespaces' : `namespace ${caller.namespace}`}>
            {caller.name}
          </div>
          <div class="who-role">
            {caller.role}
            {caller.namespace !== null && ` · ${caller.namespace}`}
          </div>
          <button type="button" class="button button-ghost" onClick={() => signOut()}>
            Sign out
          </button>
        </div>
      </aside>
      <main id="main" tabIndex={-1}>
        {props.children}
      </main>
    </div>
  );
}
