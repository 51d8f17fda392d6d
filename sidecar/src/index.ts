export { startSidecar, type Sidecar, type SidecarOptions } from './sidecar.js';
export { defaultComponents, loadComponentsDir, parseComponentsYaml, componentsYaml, type ComponentDefinition } from './components/component-files.js';
export { componentKinds, type ComponentType, type BuildingBlock } from './components/registry.js';
export { defaultGovernance, type GovernanceSettings } from './governance/governor.js';
