// Loaded with `node --import` by `isola test`: installs the resolve hook in every test process.
import { register } from 'node:module';

register('./resolve-hook.js', import.meta.url);
