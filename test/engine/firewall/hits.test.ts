import { afterEach, describe, expect, it } from 'vitest';
import { connection, firewallFixture, manualClock } from './helpers.ts';

const fixture = firewallFixture();
afterEach(() => fixture.cleanup());

describe('hit counts (logged on the hot path, counted later)', () => {
  it('state() shows every hit and the last hit time, with the clock moving between decisions and past the log size', async () => {
    const clock = manualClock();
    const fw = await fixture.open({ now: clock.now });
    const lan = fw.addRule({ name: 'lan', action: 'allow', source: '10.0.0.0/8' });
    const doc = fw.addRule({ name: 'doc', action: 'deny', source: '192.0.2.0/24' });
    const expected = new Map([
      [lan.id, { hits: 0, lastHitAt: null as number | null }],
      [doc.id, { hits: 0, lastHitAt: null as number | null }],
    ]);
    // 10,000 decisions in bursts of varying length, the clock moving between bursts: more than one log's worth
    // at one time, and many times.
    for (let burst = 0; burst < 40; burst++) {
      const length = burst % 3 === 0 ? 5000 : burst % 7;
      for (let i = 0; i < length; i++) {
        const toDoc = (burst + i) % 4 === 0;
        fw.decide(connection(toDoc ? `192.0.2.${i & 255}` : `10.${burst}.${i >> 8}.${i & 255}`));
        const counted = expected.get(toDoc ? doc.id : lan.id)!;
        counted.hits++;
        counted.lastHitAt = clock.at;
      }
      fw.decide(connection('198.51.100.7'));
      await clock.advance(1 + burst * 37);
    }
    const rules = fw.state().rules;
    expect(rules.map((r) => ({ id: r.id, hits: r.hits, lastHitAt: r.lastHitAt }))).toEqual([
      { id: lan.id, ...expected.get(lan.id)! },
      { id: doc.id, ...expected.get(doc.id)! },
    ]);
    expect(expected.get(lan.id)!.hits + expected.get(doc.id)!.hits).toBeGreaterThan(10_000);
    // Reading again counts nothing twice.
    expect(fw.state().rules).toEqual(rules);
  });

  it('hits logged before a change count for the rules they hit: the changed rule, the unchanged one, and across several changes', async () => {
    const clock = manualClock();
    const fw = await fixture.open({ now: clock.now });
    const lan = fw.addRule({ name: 'lan', action: 'allow', source: '10.0.0.0/8' });
    const doc = fw.addRule({ name: 'doc', action: 'deny', source: '192.0.2.0/24' });
    for (let i = 0; i < 3; i++) fw.decide(connection(`10.0.0.${i}`));
    fw.decide(connection('192.0.2.1'));
    const firstAt = clock.at;
    await clock.advance(1000);
    // The update changes lan's slot and makes a new record for it; doc keeps its record but may change slot.
    fw.updateRule(lan.id, { priority: 5, name: 'lan first' });
    for (let i = 0; i < 2; i++) fw.decide(connection(`10.0.1.${i}`));
    await clock.advance(500);
    const extra = fw.addRule({ name: 'extra', action: 'deny', source: '203.0.113.0/24', priority: 1 });
    fw.decide(connection('203.0.113.9'));
    const lastAt = clock.at;
    await clock.advance(250);
    fw.removeRule(extra.id);
    expect(fw.state().rules.map((r) => ({ id: r.id, name: r.name, hits: r.hits, lastHitAt: r.lastHitAt }))).toEqual([
      { id: lan.id, name: 'lan first', hits: 5, lastHitAt: firstAt + 1000 },
      { id: doc.id, name: 'doc', hits: 1, lastHitAt: firstAt },
    ]);
    fw.decide(connection('192.0.2.2'));
    expect(fw.state().rules[1]).toMatchObject({ id: doc.id, hits: 2, lastHitAt: lastAt + 250 });
  });

  it('decide() answers with a frozen constant of action and reason; the rule is in lastDecision()', async () => {
    const fw = await fixture.open();
    expect(fw.lastDecision()).toBeNull();
    const lan = fw.addRule({ name: 'lan', action: 'deny', source: '10.0.0.0/8' });
    const first = fw.decide(connection('10.0.0.1'));
    expect(first).toEqual({ action: 'deny', reason: 'rule' });
    expect(Object.isFrozen(first)).toBe(true);
    expect(fw.decide(connection('10.9.9.9'))).toBe(first);
    expect(fw.lastDecision()).toMatchObject({ id: 'd2', source: '10.9.9.9', action: 'deny', reason: 'rule', ruleId: lan.id, ruleName: 'lan' });
    expect(fw.decide(connection('192.0.2.1'))).toEqual({ action: 'allow', reason: 'default' });
    expect(fw.lastDecision()).toMatchObject({ id: 'd3', action: 'allow', reason: 'default', ruleId: null, ruleName: null });
  });

  it('recent decisions keep the rule that made them after it is renamed or removed', async () => {
    const fw = await fixture.open();
    const lan = fw.addRule({ name: 'lan', action: 'deny', source: '10.0.0.0/8' });
    const doc = fw.addRule({ name: 'doc', action: 'allow', source: '192.0.2.0/24' });
    fw.decide(connection('10.0.0.1'));
    fw.decide(connection('192.0.2.1'));
    fw.updateRule(lan.id, { name: 'lan renamed' });
    fw.decide(connection('10.0.0.2'));
    fw.removeRule(doc.id);
    fw.addRule({ name: 'later', action: 'allow', source: '172.16.0.0/12' });
    fw.decide(connection('172.16.0.1'));
    expect(fw.recentDecisions().map((d) => [d.source, d.ruleId, d.ruleName])).toEqual([
      ['172.16.0.1', 'r3', 'later'],
      ['10.0.0.2', lan.id, 'lan renamed'],
      ['192.0.2.1', doc.id, 'doc'],
      ['10.0.0.1', lan.id, 'lan'],
    ]);
  });
});
