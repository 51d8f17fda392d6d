import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { constants as zlibConstants, gunzipSync, gzipSync } from 'node:zlib';
import { pack as tarPack, type Header } from 'tar-stream';
import { IsolaError } from '../errors/isola-error.js';
import type { ErrorCode } from '../errors/catalogue.js';
import { isDeployArchiveContentType, readDeployArchive } from './deploy-archive.js';

interface ArchiveEntry {
  name: string;
  content?: string | Buffer;
  type?: Header['type'];
  linkname?: string;
}

/** A tar as `tar` writes it, uncompressed: the tests gzip it (or not) themselves. */
async function tarOf(entries: ArchiveEntry[]): Promise<Buffer> {
  const pack = tarPack();
  for (const { name, content, type, linkname } of entries) {
    const header: Parameters<typeof pack.entry>[0] = { name, type: type ?? 'file' };
    if (linkname !== undefined) header.linkname = linkname;
    if (header.type === 'file') pack.entry(header, content ?? '');
    else pack.entry(header);
  }
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of pack as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}

async function targzOf(entries: ArchiveEntry[]): Promise<Buffer> {
  return gzipSync(await tarOf(entries));
}

async function rejectsWith(promise: Promise<unknown>, code: ErrorCode, message: RegExp): Promise<IsolaError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof IsolaError, `expected an IsolaError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    assert.match(error.message, message);
    return error;
  }
  assert.fail(`expected ${code}, but the archive was accepted`);
}

const limits = { maxUnpackedBytes: 1024 * 1024 };
const manifestYaml = [
  'name: cart-api',
  'main: src/index.ts',
  'limits: { memoryMb: 64, timeoutMs: 10000 }',
  'vars:',
  '  GREETING: hello',
  'routes:',
  '  - { path: /api/cart/*, methods: [GET, POST] }',
  'crons: ["*/5 * * * *"]',
  '',
].join('\n');
const indexTs = "import prices from '../data/prices.json';\nexport default { fetch: () => new Response(String(prices.apple)) };\n";
const helperTs = 'export const double = (n: number): number => n * 2;\n';
const pricesJson = '{ "apple": 3 }\n';

describe('readDeployArchive', () => {
  test('reads nested TypeScript and JSON sources and parses isola.yaml into the manifest', async () => {
    const body = await targzOf([
      { name: 'isola.yaml', content: manifestYaml },
      { name: 'src/', type: 'directory' },
      { name: 'src/index.ts', content: indexTs },
      { name: 'src/lib/deep/helper.ts', content: helperTs },
      { name: 'data/prices.json', content: pricesJson },
    ]);
    const archive = await readDeployArchive(body, limits);
    assert.deepEqual(archive.manifest, {
      name: 'cart-api',
      main: 'src/index.ts',
      limits: { memoryMb: 64, timeoutMs: 10000 },
      vars: { GREETING: 'hello' },
      routes: [{ path: '/api/cart/*', methods: ['GET', 'POST'] }],
      crons: ['*/5 * * * *'],
    });
    assert.deepEqual(archive.files, {
      'src/index.ts': indexTs,
      'src/lib/deep/helper.ts': helperTs,
      'data/prices.json': pricesJson,
    });
  });

  test('strips one top-level folder holding isola.yaml, as `tar czf fn.tgz myfn/` makes', async () => {
    const body = await targzOf([
      { name: 'myfn/', type: 'directory' },
      { name: 'myfn/isola.yaml', content: 'name: myfn\nmain: src/index.ts\n' },
      { name: 'myfn/src/', type: 'directory' },
      { name: 'myfn/src/index.ts', content: indexTs },
    ]);
    const archive = await readDeployArchive(body, limits);
    assert.deepEqual(archive.manifest, { name: 'myfn', main: 'src/index.ts' });
    assert.deepEqual(Object.keys(archive.files), ['src/index.ts']);
  });

  test('keeps a top-level folder when isola.yaml sits at the root', async () => {
    const body = await targzOf([
      { name: 'isola.yaml', content: 'name: a\nmain: src/index.ts\n' },
      { name: 'src/index.ts', content: indexTs },
    ]);
    assert.deepEqual(Object.keys((await readDeployArchive(body, limits)).files), ['src/index.ts']);
  });

  test('strips ./ prefixes, as `tar czf fn.tgz -C myfn .` makes', async () => {
    const body = await targzOf([
      { name: './', type: 'directory' },
      { name: './isola.yml', content: 'name: dotted\nmain: index.js\n' },
      { name: './index.js', content: 'export default {};\n' },
      { name: './lib/', type: 'directory' },
      { name: './lib//util.js', content: 'export const x = 1;\n' },
    ]);
    const archive = await readDeployArchive(body, limits);
    assert.deepEqual(archive.manifest, { name: 'dotted', main: 'index.js' });
    assert.deepEqual(Object.keys(archive.files).sort(), ['index.js', 'lib/util.js']);
  });

  for (const name of ['../x', '/etc/passwd', 'a/../../b']) {
    test(`refuses the path ${name}, naming the entry`, async () => {
      const body = await targzOf([
        { name: 'isola.yaml', content: manifestYaml },
        { name, content: 'owned' },
      ]);
      const error = await rejectsWith(readDeployArchive(body, limits), 'BAD_REQUEST', /absolute path|"\.\." segment/);
      assert.ok(error.message.includes(JSON.stringify(name)), error.message);
      assert.deepEqual(error.details, { entry: name });
    });
  }

  test('refuses a symlink, naming the entry and its target', async () => {
    const body = await targzOf([
      { name: 'isola.yaml', content: manifestYaml },
      { name: 'src/index.ts', type: 'symlink', linkname: '/etc/passwd' },
    ]);
    await rejectsWith(readDeployArchive(body, limits), 'BAD_REQUEST', /"src\/index\.ts" is a symlink \(to "\/etc\/passwd"\).*regular files/);
  });

  test('refuses hard links and devices', async () => {
    for (const entry of [
      { name: 'copy.ts', type: 'link' as const, linkname: 'src/index.ts' },
      { name: 'tty', type: 'character-device' as const },
    ]) {
      const body = await targzOf([{ name: 'isola.yaml', content: manifestYaml }, entry]);
      await rejectsWith(readDeployArchive(body, limits), 'BAD_REQUEST', new RegExp(`"${entry.name}" is a (hard link|character-device)`));
    }
  });

  test('skips macOS metadata and node_modules, symlinks in node_modules/.bin included', async () => {
    const body = await targzOf([
      { name: 'myfn/', type: 'directory' },
      { name: '__MACOSX/myfn/._index.js', content: Buffer.from([0x00, 0x05, 0x16, 0x07, 0xff]) },
      { name: '._myfn', content: Buffer.from([0xff, 0xfe]) },
      { name: 'myfn/.DS_Store', content: Buffer.from([0x00, 0x00, 0x00, 0x01, 0x42, 0x75, 0x64, 0x31, 0xff]) },
      { name: 'myfn/isola.yaml', content: 'name: myfn\nmain: index.js\n' },
      { name: 'myfn/index.js', content: 'export default {};\n' },
      { name: 'myfn/._index.js', content: Buffer.from([0xff]) },
      { name: 'myfn/node_modules/left-pad/index.js', content: 'module.exports = 1;\n' },
      { name: 'myfn/node_modules/.bin/left-pad', type: 'symlink', linkname: '../left-pad/cli.js' },
    ]);
    const archive = await readDeployArchive(body, limits);
    assert.deepEqual(archive.files, { 'index.js': 'export default {};\n' });
  });

  test('refuses a gzip bomb while inflating, not after: a truncated bomb gets 413, not a gzip error', async () => {
    // 16 MB of tar padding after a valid archive compresses to a few KB. The compressed body is
    // cut in half, so inflating all of it fails with "unexpected end of file": only a reader that
    // stops at the limit, long before the cut, can answer PAYLOAD_TOO_LARGE.
    const tar = Buffer.concat([
      await tarOf([{ name: 'isola.yaml', content: manifestYaml }, { name: 'src/index.ts', content: indexTs }]),
      Buffer.alloc(16 * 1024 * 1024),
    ]);
    const bomb = gzipSync(tar, { level: 9 });
    const body = bomb.subarray(0, Math.floor(bomb.length / 2));
    assert.ok(body.length < 16 * 1024, `the bomb is ${body.length} bytes`);
    assert.throws(() => gunzipSync(body), /unexpected end of file/);
    const inflatableBeforeTheCut = gunzipSync(body, { finishFlush: zlibConstants.Z_SYNC_FLUSH }).length;
    assert.ok(inflatableBeforeTheCut > 4 * limits.maxUnpackedBytes, `${inflatableBeforeTheCut} bytes before the cut`);

    const error = await rejectsWith(readDeployArchive(body, limits), 'PAYLOAD_TOO_LARGE', /more than 1048576 bytes/);
    const { inflatedBytes, limitBytes } = error.details as { inflatedBytes: number; limitBytes: number };
    assert.equal(limitBytes, limits.maxUnpackedBytes);
    // Inflation stopped within one zlib chunk (16 KiB) past the limit.
    assert.ok(inflatedBytes <= limits.maxUnpackedBytes + 64 * 1024, `inflated ${inflatedBytes} bytes`);
  });

  test('refuses an entry whose header declares more than the limit before reading its content', async () => {
    const full = await targzOf([
      { name: 'isola.yaml', content: manifestYaml },
      { name: 'big.txt', content: Buffer.alloc(16 * 1024 * 1024, 'a') },
    ]);
    const body = full.subarray(0, Math.floor(full.length / 2));
    assert.ok(body.length < 16 * 1024, `the bomb is ${body.length} bytes`);
    await rejectsWith(readDeployArchive(body, limits), 'PAYLOAD_TOO_LARGE', /"big\.txt" is 16777216 bytes, over the 1048576/);
  });

  test('reads past a directory whose header declares a size (some writers do; it holds no data) instead of waiting forever', async () => {
    const tar = await tarOf([
      { name: 'src/', type: 'directory' },
      { name: 'isola.yaml', content: manifestYaml },
      { name: 'src/index.ts', content: indexTs },
      { name: 'data/prices.json', content: pricesJson },
    ]);
    // The size field of the first header (bytes 124-135), and its checksum (148-155) to match.
    tar.write('00000001750\0', 124, 12, 'ascii');
    tar.fill(' ', 148, 156);
    let sum = 0;
    for (const byte of tar.subarray(0, 512)) sum += byte;
    tar.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'ascii');
    let timer: NodeJS.Timeout | undefined;
    const settled = await Promise.race([
      readDeployArchive(gzipSync(tar), limits),
      new Promise<'hung'>((resolve) => (timer = setTimeout(() => resolve('hung'), 2_000))),
    ]);
    clearTimeout(timer);
    assert.notEqual(settled, 'hung', 'readDeployArchive never settled');
    assert.deepEqual(Object.keys((settled as { files: Record<string, string> }).files).sort(), ['data/prices.json', 'src/index.ts']);
  });

  test('refuses more files than maxFiles, isola.yaml not counted', async () => {
    const sources = (count: number): ArchiveEntry[] =>
      Array.from({ length: count }, (_, i) => ({ name: `src/f${i}.js`, content: `export const n = ${i};\n` }));
    const atTheLimit = await targzOf([{ name: 'isola.yaml', content: manifestYaml }, ...sources(5)]);
    assert.equal(Object.keys((await readDeployArchive(atTheLimit, { ...limits, maxFiles: 5 })).files).length, 5);

    const overTheLimit = await targzOf([{ name: 'isola.yaml', content: manifestYaml }, ...sources(6)]);
    await rejectsWith(readDeployArchive(overTheLimit, { ...limits, maxFiles: 5 }), 'PAYLOAD_TOO_LARGE', /more than 5 files/);

    // Refused while reading, not after: the manifest would come last here.
    const manyBeforeTheManifest = await targzOf([...sources(50), { name: 'isola.yaml', content: 'name: [' }]);
    await rejectsWith(readDeployArchive(manyBeforeTheManifest, { ...limits, maxFiles: 5 }), 'PAYLOAD_TOO_LARGE', /more than 5 files/);
  });

  test('reports invalid YAML at isola.yaml:line:column', async () => {
    const body = await targzOf([
      { name: 'isola.yaml', content: 'name: broken\nmain: index.js\nvars: { A: 1\nroutes: []\n' },
      { name: 'index.js', content: 'export default {};\n' },
    ]);
    const error = await rejectsWith(readDeployArchive(body, limits), 'BAD_REQUEST', /^isola\.yaml is not valid YAML: isola\.yaml:\d+:\d+: /);
    const problems = (error.details as { problems: { path: string; message: string }[] }).problems;
    assert.ok(problems.length > 0);
    assert.match(problems[0]?.path ?? '', /^isola\.yaml:[34]:\d+$/);

    const duplicate = await targzOf([{ name: 'isola.yaml', content: 'name: a\nmain: index.js\nname: b\n' }]);
    await rejectsWith(readDeployArchive(duplicate, limits), 'BAD_REQUEST', /isola\.yaml:3:1: Map keys must be unique/);
  });

  test('lists the first 20 paths when isola.yaml is missing', async () => {
    const body = await targzOf(
      Array.from({ length: 25 }, (_, i) => ({ name: `fn/src/file-${String(i).padStart(2, '0')}.ts`, content: helperTs })),
    );
    const error = await rejectsWith(readDeployArchive(body, limits), 'BAD_REQUEST', /no isola\.yaml at its root.*it holds fn\/src\/file-00\.ts, .*fn\/src\/file-19\.ts and 5 more$/);
    assert.ok(!error.message.includes('file-20'), error.message);
    const details = error.details as { entries: string[]; entryCount: number };
    assert.equal(details.entries.length, 20);
    assert.equal(details.entryCount, 25);

    const empty = await targzOf([{ name: 'src/', type: 'directory' }]);
    await rejectsWith(readDeployArchive(empty, limits), 'BAD_REQUEST', /no isola\.yaml.*it holds no files/);
  });

  test('refuses an archive holding both isola.yaml and isola.yml', async () => {
    const body = await targzOf([
      { name: 'isola.yaml', content: manifestYaml },
      { name: 'isola.yml', content: manifestYaml },
    ]);
    await rejectsWith(readDeployArchive(body, limits), 'BAD_REQUEST', /both isola\.yaml and isola\.yml/);
  });

  test('says what to send when the body is not gzip', async () => {
    for (const body of [Buffer.from('{"manifest": {}}'), Buffer.alloc(0), await tarOf([{ name: 'isola.yaml', content: manifestYaml }])]) {
      await rejectsWith(
        readDeployArchive(body, limits),
        'BAD_REQUEST',
        /must be a gzip-compressed tar \(Content-Type: application\/gzip\) or JSON \(Content-Type: application\/json\), but it does not start with the gzip signature/,
      );
    }
    const corrupt = Buffer.from(await targzOf([{ name: 'isola.yaml', content: manifestYaml }]));
    corrupt.fill(0x55, 10, 40);
    await rejectsWith(readDeployArchive(corrupt, limits), 'BAD_REQUEST', /gzip-compressed tar .* but it is not valid gzip$/);
  });

  test('says so when the gzip does not hold a tar', async () => {
    for (const inner of ['{"manifest": {"name": "a"}, "files": {}}', 'x'.repeat(2048)]) {
      const error = await rejectsWith(
        readDeployArchive(gzipSync(inner), limits),
        'BAD_REQUEST',
        /must be a gzip-compressed tar \(Content-Type: application\/gzip\) or JSON .* but the gzip content is not a tar archive$/,
      );
      assert.equal(typeof (error.details as { cause: unknown }).cause, 'string');
    }
  });

  test('refuses a file that is not UTF-8 text, naming it', async () => {
    const body = await targzOf([
      { name: 'isola.yaml', content: manifestYaml },
      { name: 'src/index.ts', content: indexTs },
      { name: 'assets/logo.png', content: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0xc3, 0x28]) },
    ]);
    const error = await rejectsWith(readDeployArchive(body, limits), 'BAD_REQUEST', /"assets\/logo\.png" is not UTF-8 text/);
    assert.deepEqual(error.details, { entry: 'assets/logo.png' });
  });
});

describe('isDeployArchiveContentType', () => {
  test('takes the gzip and tar.gz media types, with parameters and in any case', () => {
    for (const type of [
      'application/gzip',
      'application/x-gzip',
      'application/x-tar+gzip',
      'application/tar+gzip',
      'application/x-compressed-tar',
      'application/octet-stream',
      'Application/GZIP; charset=binary',
    ]) {
      assert.equal(isDeployArchiveContentType(type), true, type);
    }
  });

  test('leaves JSON, other types and a missing header to the JSON path', () => {
    for (const type of [undefined, '', 'application/json', 'application/json; charset=utf-8', 'application/x-tar', 'text/plain']) {
      assert.equal(isDeployArchiveContentType(type), false, String(type));
    }
  });
});
