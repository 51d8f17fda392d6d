// Installs what `npm start`, `npm test` and `npm run bench` need and is missing: npm packages
// (and the isolated-vm native build), and the system packages (redis-server, chromium, wrk)
// through apt-get. Uses only Node built-ins: it runs before node_modules exists.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const mode = process.argv[2] ?? 'start';
const systemNeeds = {
  start: [{ command: 'redis-server', pkg: 'redis-server' }],
  test: [
    { command: 'redis-server', pkg: 'redis-server' },
    { command: 'chromium', pkg: 'chromium' },
    // The k8s manifests are rendered with `kubectl kustomize` (Debian's kubectl is 1.20: the
    // kustomizations keep to the syntax its built-in kustomize reads).
    { command: 'kubectl', pkg: 'kubernetes-client' },
  ],
  bench: [
    { command: 'redis-server', pkg: 'redis-server' },
    { command: 'wrk', pkg: 'wrk' },
  ],
}[mode];
if (systemNeeds === undefined) fail(`unknown mode "${mode}" (start, test or bench)`);

ensureNodeModules();
ensureSystemPackages(systemNeeds);

function ensureNodeModules() {
  const lock = 'node_modules/.package-lock.json';
  const manifests = ['package.json', ...readdirSync('.').map((dir) => join(dir, 'package.json')).filter((path) => existsSync(path))];
  const stale = !existsSync(lock) || manifests.some((path) => statSync(path).mtimeMs > statSync(lock).mtimeMs);
  if (stale) {
    step('Installing npm packages (isolated-vm builds from source: about a minute)');
    run('npm', ['install', '--no-audit', '--no-fund']);
  }
  if (!existsSync('node_modules/isolated-vm/out/isolated_vm.node')) {
    step('Building isolated-vm');
    run('npm', ['rebuild', 'isolated-vm']);
  }
}

function ensureSystemPackages(needs) {
  const missing = needs.filter(({ command }) => !onPath(command)).map(({ pkg }) => pkg);
  if (missing.length === 0) return;
  const asRoot = process.getuid?.() === 0;
  const sudo = asRoot ? [] : onPath('sudo') ? ['sudo', '-n'] : null;
  if (sudo === null || !onPath('apt-get')) {
    fail(`missing system packages: ${missing.join(', ')}. Install them (Debian/Ubuntu: sudo apt-get install -y ${missing.join(' ')}) and run again.`);
  }
  step(`Installing ${missing.join(', ')} with apt-get`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const apt = (args) => {
    const [command, ...rest] = [...sudo, 'apt-get', ...args];
    return spawnSync(command, rest, { stdio: 'inherit', env }).status === 0;
  };
  if (!apt(['install', '-y', '-qq', '--no-install-recommends', ...missing])) {
    if (!apt(['update', '-qq']) || !apt(['install', '-y', '-qq', '--no-install-recommends', ...missing])) {
      fail(`apt-get could not install ${missing.join(', ')}; install them by hand and run again.`);
    }
  }
}

function onPath(command) {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function run(command, args) {
  const result = spawnSync(command, args, { stdio: 'inherit' });
  if (result.status !== 0) fail(`${command} ${args.join(' ')} failed (exit ${result.status})`);
}

function step(message) {
  console.log(`[isola] ${message}...`);
}

function fail(message) {
  console.error(`[isola] ${message}`);
  process.exit(1);
}
