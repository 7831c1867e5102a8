// The views. Hash history: works the same from app:// in Electron and from http:// in a browser.
import { createRouter, createWebHashHistory, type RouteRecordRaw } from 'vue-router';
import AlarmsView from './views/AlarmsView.vue';
import ApiDocsView from './views/ApiDocsView.vue';
import AuditView from './views/AuditView.vue';
import CalibrationView from './views/CalibrationView.vue';
import ConditionsView from './views/ConditionsView.vue';
import CompareView from './views/CompareView.vue';
import CountersView from './views/CountersView.vue';
import DevicesView from './views/DevicesView.vue';
import DigitizersView from './views/DigitizersView.vue';
import HistogramsView from './views/HistogramsView.vue';
import LogbookView from './views/LogbookView.vue';
import HvView from './views/HvView.vue';
import RunsView from './views/RunsView.vue';
import ShiftView from './views/ShiftView.vue';
import TrendsView from './views/TrendsView.vue';
import ReplayView from './views/ReplayView.vue';
import ReachView from './views/ReachView.vue';

export interface NavItem {
  name: string;
  label: string;
  icon: string;
  key: string;
}

export const NAV: NavItem[] = [
  { name: 'shift', label: 'Shift', icon: '◉', key: '1' },
  { name: 'histograms', label: 'Histograms', icon: '▤', key: '2' },
  { name: 'hv', label: 'HV', icon: '⚡', key: '3' },
  { name: 'alarms', label: 'Alarms', icon: '⚠', key: '4' },
  { name: 'logbook', label: 'Logbook', icon: '✎', key: '5' },
  { name: 'runs', label: 'Runs', icon: '☰', key: '6' },
  { name: 'compare', label: 'Compare', icon: '⇄', key: 'c' },
  { name: 'trends', label: 'Trends', icon: '↗', key: 't' },
  { name: 'reach', label: 'Reach', icon: '◭', key: 'e' },
  { name: 'calibration', label: 'Calibration', icon: '◫', key: '7' },
  { name: 'devices', label: 'Devices', icon: '⌁', key: '8' },
  { name: 'digitizers', label: 'Digitizers', icon: '∿', key: '9' },
  { name: 'counters', label: 'Counters', icon: 'Σ', key: '0' },
  { name: 'replay', label: 'Replay', icon: '⟲', key: 'r' },
  { name: 'audit', label: 'Audit', icon: '⚖', key: 'u' },
  { name: 'api', label: 'API', icon: '{}', key: 'a' },
];

const routes: RouteRecordRaw[] = [
  { path: '/', redirect: '/shift' },
  { path: '/shift', name: 'shift', component: ShiftView },
  { path: '/histograms', name: 'histograms', component: HistogramsView },
  { path: '/hv', name: 'hv', component: HvView },
  { path: '/alarms', name: 'alarms', component: AlarmsView },
  { path: '/logbook', name: 'logbook', component: LogbookView },
  { path: '/runs', name: 'runs', component: RunsView },
  { path: '/compare', name: 'compare', component: CompareView },
  { path: '/trends', name: 'trends', component: TrendsView },
  { path: '/reach', name: 'reach', component: ReachView },
  { path: '/calibration', name: 'calibration', component: CalibrationView },
  { path: '/devices', name: 'devices', component: DevicesView },
  { path: '/digitizers', name: 'digitizers', component: DigitizersView },
  { path: '/counters', name: 'counters', component: CountersView },
  { path: '/replay', name: 'replay', component: ReplayView },
  { path: '/audit', name: 'audit', component: AuditView },
  { path: '/api', name: 'api', component: ApiDocsView },
  // Not in the navigation (it has no room): a shareable link, /conditions?run=N&diff=M; the Runs view has the
  // same as a run's Conditions tab.
  { path: '/conditions', name: 'conditions', component: ConditionsView },
  { path: '/:rest(.*)*', redirect: '/shift' },
];

export function createAppRouter() {
  return createRouter({ history: createWebHashHistory(), routes });
}
