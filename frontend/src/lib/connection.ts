/** The live (websocket) connection state, observable from React with useSyncExternalStore. */
export type LiveStatus = "connecting" | "live" | "reconnecting";

export class StatusStore {
  private status: LiveStatus = "connecting";
  private everConnected = false;
  private listeners = new Set<() => void>();

  get = (): LiveStatus => this.status;

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  connected(): void {
    this.everConnected = true;
    this.set("live");
  }

  closed(): void {
    this.set(this.everConnected ? "reconnecting" : "connecting");
  }

  private set(status: LiveStatus): void {
    if (status === this.status) return;
    this.status = status;
    for (const l of this.listeners) l();
  }
}
