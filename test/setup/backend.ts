// Runs before every test file: the suite runs on the backend a user would get (native when the addon loads),
// or on the one ATTN_BACKEND names; CI runs it once each way.
import { installDefaultBackend } from '../../src/backend/native/select.js';

installDefaultBackend();
