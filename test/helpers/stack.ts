/** Everything a test starts goes on one stack, closed in afterAll: no open handles. */
export class DisposableStack {
  private readonly closers: Array<() => Promise<void> | void> = [];

  defer(fn: () => Promise<void> | void): void {
    this.closers.push(fn);
  }

  use<T extends { close(): Promise<void> | void } | { stop(): Promise<void> | void }>(resource: T): T {
    this.defer(() => ("close" in resource ? resource.close() : resource.stop()));
    return resource;
  }

  async dispose(): Promise<void> {
    while (this.closers.length) await this.closers.pop()!();
  }
}
