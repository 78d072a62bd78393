/** How a pause treats work that is already running. */
export enum PauseMode {
  /** Running jobs finish; nothing new starts. */
  Graceful = 'graceful',
  /** Running jobs are aborted through their AbortSignal and go back to be run again later. */
  Aggressive = 'aggressive',
}
