// The HV channel table in real Chromium: every state told by colour, icon and word; a reading that is not
// fresh says why; selection and focus reach the view.
import { mount } from '@vue/test-utils';
import { describe, expect, it } from 'vitest';
import type { HvChannel } from '@shared/api/hv';
import HvChannelTable from '../../src-renderer/components/hv/HvChannelTable.vue';
import { channelLook, stalenessLook } from '../../src-renderer/hv-presentation';

const now = Date.now();
function channel(name: string, over: Partial<HvChannel> = {}): HvChannel {
  return {
    name,
    detector: 'HCAL',
    supply: 'hv-caen-0',
    channel: 0,
    board: 0,
    boardChannel: 0,
    nominalVolts: 1500,
    vset: 1500,
    vmon: 1500.2,
    iset: 450,
    imon: 300.01,
    rampUp: 50,
    rampDown: 50,
    tripTime: 1,
    maxV: 8000,
    on: true,
    conditions: ['on'],
    latched: [],
    rawStatus: 1,
    updatedAt: now - 400,
    staleness: 'fresh',
    ...over,
  };
}

describe('HV channel table', () => {
  it('shows trip, interlock, ramping, latched events and stale readings in words, with icons and colours', () => {
    const rows = [
      channel('HCAL0-0-0'),
      channel('HCAL0-0-1', { on: false, vmon: 0, conditions: ['trip'], latched: ['trip', 'over-current'], rawStatus: 128 }),
      channel('HCAL0-0-2', { conditions: ['on', 'ramp-up'], vmon: 700 }),
      channel('HCAL0-0-3', { conditions: ['interlock'], on: false }),
      channel('HCAL0-0-4', { staleness: 'readback-stuck' }),
      channel('HCAL0-0-5', { staleness: 'supply-offline', updatedAt: now - 12_000 }),
      channel('HCAL0-0-6', { staleness: 'no-reading', vset: null, vmon: null, iset: null, imon: null, on: null, updatedAt: null }),
    ];
    const w = mount(HvChannelTable, { props: { channels: rows, selected: new Set(['HCAL0-0-1']), focus: null, now } });
    const state = (n: string) => w.get(`[data-testid="hv-channel-${n}"] [data-testid="hv-state"]`).text();
    expect(state('HCAL0-0-0')).toBe('●ON');
    expect(state('HCAL0-0-1')).toContain('⚡TRIP');
    expect(state('HCAL0-0-1')).toContain('LATCHED OVER-CURRENT');
    expect(state('HCAL0-0-2')).toContain('RAMP UP');
    expect(state('HCAL0-0-3')).toContain('INTERLOCK');
    expect(state('HCAL0-0-4')).toContain('READBACK STUCK');
    expect(state('HCAL0-0-5')).toContain('SUPPLY OFFLINE');
    expect(w.get('[data-testid="hv-channel-HCAL0-0-5"]').text()).toContain('12.0 s');
    expect(w.get('[data-testid="hv-channel-HCAL0-0-6"]').text()).toContain('NO READING');
    expect(w.get('[data-testid="hv-channel-HCAL0-0-6"]').text()).toContain('—');
    expect(w.findAll('input[type=checkbox]:checked')).toHaveLength(1);
    // Colour is never alone: every badge has an icon and a word.
    for (const badge of w.findAll('.badge')) {
      expect(badge.get('.icon').text().length).toBeGreaterThan(0);
      expect(badge.get('.label').text().length).toBeGreaterThan(1);
    }
    expect(channelLook(rows[1]!).tone).toBe('bad');
    expect(stalenessLook('fresh')).toBeNull();
  });

  it('emits selection and focus', async () => {
    const w = mount(HvChannelTable, { props: { channels: [channel('S0'), channel('S1')], selected: new Set<string>(), focus: null, now } });
    await w.get('[data-testid="hv-channel-S1"] input').setValue(true);
    expect(w.emitted('toggle')).toEqual([['S1']]);
    await w.get('[data-testid="hv-channel-S0"]').trigger('click');
    expect(w.emitted('focus')).toEqual([['S0']]);
    await w.get('thead input').setValue(true);
    expect(w.emitted('toggleAll')).toEqual([[true]]);
  });
});
