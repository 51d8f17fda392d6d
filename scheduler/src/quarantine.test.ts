import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Quarantine } from './quarantine.js';

describe('Quarantine', () => {
  test('quarantines a version after the threshold of crashes within the window, with the reason', () => {
    let now = 0;
    const quarantine = new Quarantine(2, 60_000, () => now);
    assert.equal(quarantine.recordCrash('fn@1#a', 'oom'), false);
    assert.equal(quarantine.reason('fn@1#a'), null);
    now = 1_000;
    assert.equal(quarantine.recordCrash('fn@1#a', 'Catastrophic out-of-memory error'), true);
    assert.match(quarantine.reason('fn@1#a') ?? '', /crashed its worker 2 times.*Catastrophic out-of-memory error/);
    assert.equal(quarantine.reason('fn@2#b'), null, 'a redeployed version is not quarantined');
  });

  test('crashes older than the window do not count', () => {
    let now = 0;
    const quarantine = new Quarantine(2, 60_000, () => now);
    quarantine.recordCrash('fn@1#a', 'oom');
    now = 61_000;
    assert.equal(quarantine.recordCrash('fn@1#a', 'oom'), false);
    assert.equal(quarantine.reason('fn@1#a'), null);
  });
});
