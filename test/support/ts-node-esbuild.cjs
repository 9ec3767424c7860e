/**
 * tap runs test files through ts-node (@tapjs/typescript), which by default
 * translates each TypeScript file with the TypeScript compiler, on every run:
 * about 5 s of CPU per test file that imports the services (measured: 9-10 s
 * against 4-5 s with esbuild), for each of the suite's files, on two cores.
 * ts-node accepts another translator ("transpiler" in tsconfig.json's
 * "ts-node" section); this one is esbuild's, as tsx uses and `pnpm build`
 * bundles with. Translation only, as before: type checking is `pnpm typecheck`.
 * CommonJS, because ts-node loads a translator with require().
 */
const esbuild = require('esbuild')

/** ts-node's transpiler interface: create(options) -> { transpile(input, { fileName }) }. */
exports.create = (options) => {
  // ts-node says which module system the file's output must use (the package's "type" decides).
  const format = options.nodeModuleEmitKind === 'nodecjs' ? 'cjs' : 'esm'
  return {
    transpile(input, { fileName }) {
      const result = esbuild.transformSync(input, {
        loader: fileName.endsWith('x') ? 'tsx' : 'ts',
        format,
        target: 'node20',
        sourcefile: fileName,
        sourcemap: 'external',
        // As tsc reads the sources: imports kept as written (type-only ones are marked so).
        tsconfigRaw: { compilerOptions: { verbatimModuleSyntax: true, target: 'ES2022' } },
      })
      return { outputText: result.code, sourceMapText: result.map }
    },
  }
}
