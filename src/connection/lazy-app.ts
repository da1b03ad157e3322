/** What the entry point needs of the app it loads after `initialize`. */
export interface StartedApp {
  /** After `initialized`: start watching files and refreshing tokens. */
  started(): void;
  dispose(): Promise<void>;
}

/**
 * The app, loaded once `initialize` has been answered. A failed start is
 * logged and tried again by the next request, so that its cause (a hostile
 * file, say), once fixed, needs no restart of the server.
 */
export class LazyApp<A extends StartedApp> {
  private loading: Promise<A> | undefined;
  private ready: A | undefined;
  private initialized = false;

  constructor(
    private readonly load: () => Promise<A>,
    private readonly failed: (err: unknown) => void,
  ) {}

  get(): Promise<A> {
    this.loading ??= this.load().then(
      (app) => {
        this.ready = app;
        if (this.initialized) app.started();
        return app;
      },
      (err: unknown) => {
        this.loading = undefined;
        this.failed(err);
        throw err;
      },
    );
    return this.loading;
  }

  /** The client's `initialized`: the app starts its background work once it is there. */
  markInitialized(): void {
    if (this.initialized) return;
    this.initialized = true;
    this.ready?.started();
  }

  async dispose(): Promise<void> {
    const app = await this.loading?.catch(() => undefined);
    await app?.dispose();
  }
}
