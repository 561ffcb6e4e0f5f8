/**
 * Imported first by main.tsx, before any schema is built. The renderer runs under a CSP without 'unsafe-eval'
 * (index.html); zod 4 probes `new Function` when it builds an object schema (common/decoding-settings.ts is the
 * renderer's), and the browser reports the refused probe as a CSP violation even though zod catches it. Jitless
 * parsing never probes.
 */
import { z } from 'zod';

z.config({ jitless: true });
