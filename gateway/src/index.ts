export { createGateway, type GatewayDeps } from './server.js';
