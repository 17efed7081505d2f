import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DIAGRAM_END,
  DIAGRAM_START,
  extractDiagramSection,
  renderDiagram,
  replaceDiagramSection,
} from '../src/plan/diagram.js';
import { fixtureStacks } from './fixtures/plan/stacks.js';

describe('Mermaid diagram', () => {
  it('draws the request path, one NAT and a single-AZ database for the test-sized fixture', () => {
    const diagram = renderDiagram(fixtureStacks());
    assert.match(diagram, /^flowchart TB\n/);
    for (const edge of [
      'internet -->|"HTTP 80"| alb',
      'alb -->|"every request (listener default) · ports 32768-65535"| svc_web',
      'svc_web -.->|"placed on"| asg',
      'svc_web -->|"5432, TLS verify-full"| db',
      'asg -->|"egress"| nat1',
      'nat1 --> internet',
      'svc_web -->|"awslogs"| logs',
      'alarms -->|"notify"| sns',
    ]) {
      assert.ok(diagram.includes(edge), `missing edge: ${edge}\n${diagram}`);
    }
    assert.match(diagram, /nat1\["NAT gateway<br\/>eu-west-1a"\]/);
    assert.match(diagram, /asg\["EC2 capacity: Auto Scaling group<br\/>t3\.small × 1–3 instances"\]/);
    assert.match(diagram, /db\[\("RDS PostgreSQL db\.t4g\.micro<br\/>single-AZ · 20 GiB"\)\]/);
    assert.ok(!diagram.includes('nat2'));
    assert.ok(!diagram.includes('dbStandby'));
    assert.ok(!diagram.includes('ecr'), 'no repository in these stacks, so none drawn');
  });

  it('draws a NAT per AZ, the standby and HTTPS for the prod-sized fixture', () => {
    const diagram = renderDiagram(fixtureStacks({ natGateways: 2, multiAz: true, certificate: true }));
    assert.match(diagram, /nat2\["NAT gateway<br\/>eu-west-1b"\]/);
    assert.ok(diagram.includes('db -.->|"replicates"| dbStandby'));
    assert.ok(diagram.includes('internet -->|"HTTP 80 / HTTPS 443"| alb'));
  });

  it('replaces only what lies between the markers, and reads it back', () => {
    const doc = `# Architecture\n\nintro\n${DIAGRAM_START}\nold hand-drawn diagram\n${DIAGRAM_END}\n\n## Decisions\n`;
    const updated = replaceDiagramSection(doc, 'flowchart TB\n  a --> b\n');
    assert.ok(updated.startsWith('# Architecture\n\nintro\n'));
    assert.ok(updated.endsWith(`${DIAGRAM_END}\n\n## Decisions\n`));
    assert.ok(!updated.includes('old hand-drawn'));
    assert.equal(extractDiagramSection(updated), 'flowchart TB\n  a --> b\n');
    // Idempotent: writing the same diagram twice changes nothing.
    assert.equal(replaceDiagramSection(updated, 'flowchart TB\n  a --> b\n'), updated);
  });

  it('refuses a document without the markers', () => {
    assert.throws(() => replaceDiagramSection('# no markers', 'x'), /markers .* not found/);
    assert.equal(extractDiagramSection('# no markers'), undefined);
  });
});
