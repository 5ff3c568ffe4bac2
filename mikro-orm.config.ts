// For the MikroORM CLI (`npx tsx ./node_modules/@mikro-orm/cli/cli.js ...`). The app builds the same
// configuration in src/database.ts from the parsed environment.
import 'reflect-metadata';
import { loadConfig } from './src/config.js';
import { SecretCipher } from './src/platform/crypto/secret-cipher.js';
import { ormConfig } from './src/database.js';

const config = loadConfig();
if (!config.databaseUrl || !config.masterKey) throw new Error('The MikroORM CLI needs DATABASE_URL and FORGELINK_MASTER_KEY');

export default ormConfig({ databaseUrl: config.databaseUrl, cipher: new SecretCipher(config.masterKey, config.oldMasterKeys) });
