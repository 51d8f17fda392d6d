export { createGateway, type GatewayDeps } from './server.js';
export { defaultConsoleDir } from './console/console-files.js';
