export { Supervisor, type SupervisorOptions } from './supervisor/supervisor.js';
