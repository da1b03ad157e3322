/**
 * zod/mini ships without messages; the server's errors and diagnostics show
 * zod's English ones. Importing this module sets them, once, for the process.
 */
import { config } from 'zod/mini';
import en from 'zod/v4/locales/en.js';

config(en());
