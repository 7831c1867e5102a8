// Imported first by main.ts, before any module that may parse with zod: zod 4 probes for `new Function` once,
// and under the app's CSP (no 'unsafe-eval') the refused probe is reported as a CSP violation although zod
// swallows it. Without the probe, a CSP violation on a page of the app always means injected markup.
import { z } from 'zod';

z.config({ jitless: true });
