export { Scheduler, type SchedulerOptions } from './scheduler.js';
export { placeInvocation } from './placement.js';
export { Quarantine } from './quarantine.js';
