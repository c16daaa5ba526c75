// One jest run over every app and package, so that one summary line covers all suites.
const fs = require('fs');
const path = require('path');
const preset = require('./jest.preset');
const projects = [];
for (const group of ['packages', 'apps']) {
  for (const name of fs.readdirSync(path.join(__dirname, group))) {
    const dir = path.join(__dirname, group, name);
    if (fs.existsSync(path.join(dir, 'package.json'))) projects.push(preset(dir, `${group}/${name}`));
  }
}
// System tests of the built processes.
projects.push({ ...preset(path.join(__dirname, 'e2e'), 'e2e'), testMatch: ['<rootDir>/**/*.e2e.spec.ts'] });
module.exports = { projects, testTimeout: 60000 };
