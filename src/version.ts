declare const __SERVER_VERSION__: string | undefined;

/** Set by the bundler from package.json; `dev` when run from source. */
export const VERSION: string = typeof __SERVER_VERSION__ === 'string' ? __SERVER_VERSION__ : 'dev';
