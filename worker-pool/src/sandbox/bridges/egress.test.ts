import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compileEgress, egressEntryFor, matchEgress, restrictedAddressKind, sameAddress } from './egress.js';

const allowed = (entries: string[], url: string) => matchEgress(compileEgress(entries), new URL(url))?.entry ?? null;

describe('egress rules', () => {
  test('a host entry allows that host on any port, and nothing else', () => {
    assert.equal(allowed(['api.example.com'], 'https://api.example.com/v1'), 'api.example.com');
    assert.equal(allowed(['api.example.com'], 'http://API.Example.com:8080/'), 'api.example.com');
    assert.equal(allowed(['api.example.com'], 'https://api.example.com./'), 'api.example.com');
    assert.equal(allowed(['api.example.com'], 'https://example.com/'), null);
    assert.equal(allowed(['api.example.com'], 'https://evil-api.example.com/'), null);
    assert.equal(allowed(['api.example.com'], 'https://api.example.com.evil.net/'), null);
    assert.equal(allowed([], 'https://api.example.com/'), null);
  });

  test('host:port allows that port only; default ports count', () => {
    assert.equal(allowed(['api.example.com:8443'], 'https://api.example.com:8443/'), 'api.example.com:8443');
    assert.equal(allowed(['api.example.com:8443'], 'https://api.example.com/'), null);
    assert.equal(allowed(['api.example.com:443'], 'https://api.example.com/'), 'api.example.com:443');
    assert.equal(allowed(['api.example.com:443'], 'http://api.example.com/'), null);
    assert.equal(allowed(['api.example.com:80'], 'http://api.example.com/'), 'api.example.com:80');
  });

  test('*.domain allows subdomains at any depth, not the domain itself and never an address', () => {
    assert.equal(allowed(['*.example.com'], 'https://a.example.com/'), '*.example.com');
    assert.equal(allowed(['*.example.com'], 'https://a.b.example.com/'), '*.example.com');
    assert.equal(allowed(['*.example.com'], 'https://example.com/'), null);
    assert.equal(allowed(['*.example.com'], 'https://aexample.com/'), null);
    assert.equal(allowed(['*.example.com:8080'], 'https://a.example.com/'), null);
    assert.equal(allowed(['*.0.1'], 'http://127.0.0.1/'), null);
  });

  test('addresses match by their canonical form (IPv4 shorthands, IPv6 spellings)', () => {
    assert.equal(allowed(['127.0.0.1:8080'], 'http://127.0.0.1:8080/'), '127.0.0.1:8080');
    assert.equal(allowed(['127.0.0.1:8080'], 'http://127.1:8080/'), '127.0.0.1:8080');
    assert.equal(allowed(['127.0.0.1:8080'], 'http://0x7f000001:8080/'), '127.0.0.1:8080');
    assert.equal(allowed(['127.0.0.1:8080'], 'http://127.0.0.1:8081/'), null);
    assert.equal(allowed(['[::1]:8080'], 'http://[0:0::1]:8080/'), '[::1]:8080');
    assert.equal(allowed(['[::1]'], 'http://[::ffff:127.0.0.1]/'), null);
    // Entries are canonicalized the same way as URLs.
    assert.equal(allowed(['API.Example.COM'], 'https://api.example.com/'), 'API.Example.COM');
    assert.equal(allowed(['*.Example.com'], 'https://a.example.com/'), '*.Example.com');
    assert.equal(allowed(['[0:0::1]:8080'], 'http://[::1]:8080/'), '[0:0::1]:8080');
    assert.equal(allowed(['0x7f.1'], 'http://127.0.0.1/'), '0x7f.1');
    assert.deepEqual(
      compileEgress(['[::1]:8080', '10.0.0.5', 'db.internal']).map(({ host, port, address }) => [host, port, address]),
      [['[::1]', 8080, '::1'], ['10.0.0.5', null, '10.0.0.5'], ['db.internal', null, null]],
    );
  });

  test('the suggested entry names the host and any non-default port', () => {
    assert.equal(egressEntryFor(new URL('https://api.example.com/x')), 'api.example.com');
    assert.equal(egressEntryFor(new URL('http://127.0.0.1:9/')), '127.0.0.1:9');
    assert.equal(egressEntryFor(new URL('http://[::1]:80/')), '[::1]');
  });
});

describe('restricted addresses', () => {
  const cases: [string, string | null][] = [
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['10.1.2.3', 'private'],
    ['100.64.0.1', 'private'],
    ['100.128.0.1', null],
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['169.254.169.254', 'link-local'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['172.32.0.1', null],
    ['192.168.1.1', 'private'],
    ['192.0.0.8', 'reserved'],
    ['198.18.0.1', 'private'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'reserved'],
    ['8.8.8.8', null],
    ['93.184.216.34', null],
    ['::', 'unspecified'],
    ['::1', 'loopback'],
    ['0:0:0:0:0:0:0:1', 'loopback'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:169.254.169.254', 'link-local'],
    ['::ffff:8.8.8.8', null],
    ['::127.0.0.1', 'loopback'],
    ['::8.8.8.8', 'reserved'],
    ['64:ff9b::a9fe:a9fe', 'link-local'],
    ['64:ff9b::808:808', null],
    ['64:ff9b:1::1', 'private'],
    ['2002:7f00:1::', 'loopback'],
    ['2002:0808:0808::1', null],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['febf::1', 'link-local'],
    ['fec0::1', 'private'],
    ['fc00::1', 'private'],
    ['fd12:3456::1', 'private'],
    ['ff02::1', 'multicast'],
    ['100::1', 'reserved'],
    ['2606:4700::1111', null],
    ['2001:4860:4860::8888', null],
    ['not-an-address', 'reserved'],
  ];
  for (const [address, kind] of cases) {
    test(`${address} is ${kind ?? 'public'}`, () => assert.equal(restrictedAddressKind(address), kind));
  }

  test('sameAddress compares addresses, not spellings', () => {
    assert.equal(sameAddress('::1', '0:0:0:0:0:0:0:1'), true);
    assert.equal(sameAddress('127.0.0.1', '127.0.0.1'), true);
    assert.equal(sameAddress('127.0.0.1', '::ffff:127.0.0.1'), false);
    assert.equal(sameAddress('127.0.0.1', '127.0.0.2'), false);
  });
});
