// node-oracledb ships no TypeScript types; oracle.driver.ts describes the part it uses (OracleDb)
// and casts the module to it once, where it is loaded.
declare module 'oracledb';
