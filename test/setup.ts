/** Runs once before every test file (see .taprc `before`): a freshly migrated template database. */
import { prepareTemplateDatabase } from '@fare/db/testing'

await prepareTemplateDatabase()
