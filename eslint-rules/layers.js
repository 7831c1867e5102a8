// Lint rule `na64/layers`: the process and layer boundaries of docs DESIGN §1, checked on every import
// instead of remembered (after Signal Desktop's file-suffix rule and VS Code's code-layering rule).
//
//   electron            only in src-main/shell
//   src-main/shared     environment-free: imports only itself, zod, @orpc/contract and markdown-it (no node:*, no DOM APIs)
//   *.worker.ts         only src-main/shared, its folder's recon/ and protocol.ts, and drivers/*/format/ (the
//                       environment-free data formats it decodes); workers import no services
//   src-main (other)    Node core: src-main, db, setups (the app's data), and of drivers only the plugin
//                       contract (drivers/sdk), the plugin registry (drivers/registry.ts) and the data formats
//                       (drivers/*/format/), and the USB bus listing (drivers/transports/usb/usb-host.ts): never a
//                       concrete driver, a simulator or the twin
//   src-main/cli/simulators  the commands that run simulators (device-sim, serve --sim's launcher, the raw-file
//                       twin): the one part of src-main that may import drivers/ as a whole
//   src-renderer        only itself and src-main/shared; no Node built-ins, no Node-only packages
//   setups              the app's data and its readers: only itself and drivers/*/format/ (the channel map)
//   drivers/sdk         only itself; drivers/transports: sdk and itself
//   drivers/registry.ts the plugin list: drivers/sdk and the plugins' driver.ts files (no simulator)
//   drivers/<plugin>    only drivers/sdk, drivers/transports, drivers/twin, drivers/vme (the VME bus layer the VME
//                       modules share), setups and its own folder; never src-main. The VME crate simulator
//                       (drivers/vme) may import the module simulators (drivers/*/simulator.ts) it hosts. Of the
//                       app's nominal detector constants (setups/nominal.ts) a simulator takes only the data
//                       format (SAMPLES): it generates with its own truth (drivers/twin/truth.ts), issue 17
//   db                  only itself
import { builtinModules } from 'node:module';
import { dirname, relative, resolve, sep } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');
const NODE_BUILTINS = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
/** npm packages that only run in Node: never in the renderer or in shared code. */
const NODE_ONLY_PACKAGES = ['better-sqlite3', 'ws', 'pino', 'commander', 'usb', 'serialport', '@serialport/', 'tsx', 'sharp'];
/** npm packages environment-free code may use (markdown-it: the logbook's one Markdown dialect, UI and export). */
const STD_PACKAGES = ['zod', '@orpc/contract', 'markdown-it'];

const posix = (p) => p.split(sep).join('/');

function packageName(source) {
  const parts = source.split('/');
  return source.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
}

function layerOf(file) {
  if (file.startsWith('src-main/shell/')) return { name: 'shell' };
  if (file.startsWith('src-main/shared/')) return { name: 'shared' };
  if (file.startsWith('src-main/') && file.endsWith('.worker.ts')) return { name: 'worker', dir: posix(dirname(file)) + '/' };
  if (file.startsWith('src-main/cli/simulators/')) return { name: 'simulator-cli' };
  if (file.startsWith('src-main/')) return { name: 'core' };
  if (file.startsWith('src-renderer/')) return { name: 'renderer' };
  if (file.startsWith('setups/')) return { name: 'setups' };
  if (file === 'drivers/registry.ts') return { name: 'registry' };
  if (file.startsWith('drivers/sdk/')) return { name: 'driver-sdk' };
  if (file.startsWith('drivers/transports/')) return { name: 'transports' };
  if (file.startsWith('drivers/')) return { name: 'driver', dir: file.split('/').slice(0, 2).join('/') + '/' };
  if (file.startsWith('db/')) return { name: 'db' };
  return null;
}

const FORMATS = /^drivers\/[a-z0-9-]+\/format\//;
// The machine's USB bus (enumeration, hot plug) is not a device: the core lists it for the Devices view.
const CORE = ['src-main/', 'db/', 'setups/', 'drivers/sdk/', 'drivers/registry.ts', 'drivers/transports/usb/usb-host.ts', FORMATS];

/** What a simulator (drivers/) may take from the app's nominal constants: the data format, not the physics. */
const NOMINAL = 'setups/nominal.ts';
const NOMINAL_FORMAT = ['SAMPLES'];

/** For a driver importing setups/nominal.ts: why that import is not allowed, or null. */
function checkNominal(node) {
  const names = node.type === 'ImportDeclaration' ? node.specifiers.map((s) => (s.type === 'ImportSpecifier' ? s.imported.name : null)) : [null];
  const physics = names.filter((n) => !NOMINAL_FORMAT.includes(n));
  if (!physics.length) return null;
  const shown = physics.map((n) => n ?? '*').join(', ');
  return `a simulator generates with its own detector truth (drivers/twin/truth.ts), not the app's nominal ${shown}: of setups/nominal.ts it may import only ${NOMINAL_FORMAT.join(', ')} (the data format)`;
}

const ALLOWED_INTERNAL = {
  shell: () => CORE,
  shared: () => ['src-main/shared/'],
  worker: (l) => ['src-main/shared/', `${l.dir}recon/`, `${l.dir}protocol.ts`, FORMATS],
  core: () => CORE,
  'simulator-cli': () => ['src-main/', 'db/', 'setups/', 'drivers/'],
  renderer: () => ['src-renderer/', 'src-main/shared/'],
  setups: () => ['setups/', FORMATS],
  registry: () => ['drivers/sdk/', /^drivers\/[a-z0-9-]+\/driver\.ts$/],
  'driver-sdk': () => ['drivers/sdk/'],
  transports: () => ['drivers/sdk/', 'drivers/transports/'],
  driver: (l) => ['drivers/sdk/', 'drivers/transports/', 'drivers/twin/', 'drivers/vme/', 'setups/', l.dir, ...(l.dir === 'drivers/vme/' ? [/^drivers\/[a-z0-9-]+\/simulator\.ts$/] : [])],
  db: () => ['db/'],
};

function checkBare(layer, source) {
  if (source === 'electron' || source.startsWith('electron/')) {
    return layer.name === 'shell' ? null : "'electron' may be imported only in src-main/shell: the core must run in plain Node";
  }
  const env = ['shared', 'renderer'].includes(layer.name);
  if (NODE_BUILTINS.has(source) || NODE_BUILTINS.has(source.split('/')[0])) {
    return env ? `${layer.name} code cannot use the Node built-in '${source}'` : null;
  }
  const pkg = packageName(source);
  if (layer.name === 'shared' && !STD_PACKAGES.includes(pkg)) {
    return `src-main/shared is environment-free: it may use only ${STD_PACKAGES.join(', ')}, not '${pkg}'`;
  }
  if (layer.name === 'renderer' && NODE_ONLY_PACKAGES.some((p) => pkg === p || pkg.startsWith(p))) {
    return `the renderer cannot use the Node-only package '${pkg}'; go through the API`;
  }
  return null;
}

export default {
  meta: {
    type: 'problem',
    docs: { description: 'Enforce the process and layer boundaries of NA64 Run Control' },
    schema: [],
    messages: { layer: '{{why}}' },
  },
  create(context) {
    const file = posix(relative(ROOT, context.filename));
    const layer = layerOf(file);
    if (!layer) return {};

    function check(node, source) {
      if (typeof source !== 'string') return;
      let why = null;
      if (source.startsWith('.') || source.startsWith('@shared/')) {
        const target = source.startsWith('@shared/')
          ? `src-main/shared/${source.slice('@shared/'.length)}`
          : posix(relative(ROOT, resolve(ROOT, dirname(file), source)));
        const allowed = ALLOWED_INTERNAL[layer.name](layer);
        const withTs = /\.[a-z]+$/.test(target) ? target : `${target}.ts`;
        const ok = (a) => (a instanceof RegExp ? a.test(target) || a.test(withTs) : target.startsWith(a) || withTs === a);
        if (layer.name === 'driver' && withTs === NOMINAL) {
          why = checkNominal(node);
        } else if (!allowed.some(ok)) {
          const shown = (a) => (a === FORMATS ? 'drivers/*/format/' : a instanceof RegExp ? 'drivers/*/driver.ts' : a);
          why = `${file} (${layer.name}) may not import ${target}: allowed are ${allowed.map(shown).join(', ')}`;
        }
      } else {
        why = checkBare(layer, source);
      }
      if (why) context.report({ node, messageId: 'layer', data: { why } });
    }

    return {
      ImportDeclaration: (node) => check(node, node.source.value),
      ExportNamedDeclaration: (node) => node.source && check(node, node.source.value),
      ExportAllDeclaration: (node) => check(node, node.source.value),
      ImportExpression: (node) => node.source.type === 'Literal' && check(node, node.source.value),
      CallExpression: (node) => {
        if (node.callee.type === 'Identifier' && node.callee.name === 'require' && node.arguments[0]?.type === 'Literal') {
          check(node, node.arguments[0].value);
        }
      },
    };
  },
};
