import { createApp } from '../lib/app.js';

createApp().synth();
