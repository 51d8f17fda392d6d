export { startSidecar, type Sidecar, type SidecarOptions } from './sidecar.js';
export { defaultComponents, inMemoryComponents, loadComponentsDir, parseComponentsYaml, componentsYaml, type ComponentDefinition } from './components/component-files.js';
export { componentKinds, type ComponentType, type BuildingBlock } from './components/registry.js';
export { MemoryBackends, type MemorySnapshot } from './components/memory-backends.js';
export { MemoryStateData, type MemoryStateEntry } from './components/state/memory.js';
export { MemoryConfigurationData } from './components/configuration/memory.js';
export { MemoryTopics, type TopicListener } from './components/pubsub/memory.js';
export { defaultGovernance, type GovernanceSettings } from './governance/governor.js';
