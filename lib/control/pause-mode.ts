/** The treatment of running work by a pause. */
export enum PauseMode {
  /** Running jobs finish, and nothing new starts. */
  Graceful = 'graceful',
  /** Running jobs are aborted through their AbortSignal and go back to be run again later. */
  Aggressive = 'aggressive',
}
