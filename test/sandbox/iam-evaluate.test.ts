/**
 * The sandbox's IAM evaluator, as the IAM User Guide documents policy evaluation: wildcards in
 * actions and resources, NotAction / NotResource, explicit deny wins, condition operators with
 * absent keys, IfExists and set operators; and CloudFormation intrinsics resolved to world values.
 */
import { describe, expect, it } from 'vitest';
import {
  type AuthorizationRequest,
  evaluate,
  type PolicyStatement,
  type SourcedStatement,
  UnsupportedPolicyError,
} from '#sandbox/iam/evaluate.ts';
import { resolveIntrinsics, UnresolvableIntrinsicError } from '#sandbox/iam/intrinsics.ts';

const ACCOUNT = '111111111111';
const instanceArn = (id: string) => `arn:aws:ec2:us-east-1:${ACCOUNT}:instance/${id}`;

function policy(...statements: PolicyStatement[]): SourcedStatement[] {
  return statements.map((statement) => ({ policy: 'test', statement }));
}

function request(overrides: Partial<AuthorizationRequest> = {}): AuthorizationRequest {
  return {
    action: 'ec2:ModifyInstanceAttribute',
    resource: instanceArn('i-1'),
    context: {},
    ...overrides,
  };
}

describe('actions', () => {
  it('matches actions case-insensitively and with * and ? wildcards', () => {
    expect(
      evaluate(policy({ Effect: 'Allow', Action: 'EC2:modifyinstanceattribute', Resource: '*' }), request())
        .allowed,
    ).toBe(true);
    expect(
      evaluate(policy({ Effect: 'Allow', Action: 'ec2:Modify*', Resource: '*' }), request()).allowed,
    ).toBe(true);
    expect(
      evaluate(policy({ Effect: 'Allow', Action: 'ec2:ModifyInstanceAttribut?', Resource: '*' }), request())
        .allowed,
    ).toBe(true);
    expect(evaluate(policy({ Effect: 'Allow', Action: 'ec2:Describe*', Resource: '*' }), request())).toEqual({
      allowed: false,
      reason: 'implicit-deny',
    });
  });

  it('allows every action but the listed ones with NotAction', () => {
    const statements = policy({ Effect: 'Allow', NotAction: ['ec2:Terminate*'], Resource: '*' });
    expect(evaluate(statements, request()).allowed).toBe(true);
    expect(evaluate(statements, request({ action: 'ec2:TerminateInstances' })).allowed).toBe(false);
  });
});

describe('resources', () => {
  it('matches ARNs segment by segment, the resource part with its own wildcards', () => {
    const statements = policy({
      Effect: 'Allow',
      Action: 'ec2:ModifyInstanceAttribute',
      Resource: 'arn:aws:ec2:*:*:instance/i-*',
    });
    expect(evaluate(statements, request()).allowed).toBe(true);
    expect(
      evaluate(statements, request({ resource: `arn:aws:ec2:us-east-1:${ACCOUNT}:volume/vol-1` })).allowed,
    ).toBe(false);
    // A Region wildcard does not reach into the account segment.
    const regionOnly = policy({
      Effect: 'Allow',
      Action: '*',
      Resource: `arn:aws:ec2:us-*:${ACCOUNT}:instance/*`,
    });
    expect(
      evaluate(regionOnly, request({ resource: 'arn:aws:ec2:us-east-1:222222222222:instance/i-1' })).allowed,
    ).toBe(false);
  });

  it('matches a resource part holding colons (Auto Scaling group ARNs) with a wildcard for the UUID', () => {
    const statements = policy({
      Effect: 'Allow',
      Action: 'autoscaling:TerminateInstanceInAutoScalingGroup',
      Resource: `arn:aws:autoscaling:us-east-1:${ACCOUNT}:autoScalingGroup:*:autoScalingGroupName/gw`,
    });
    const group = (name: string) =>
      `arn:aws:autoscaling:us-east-1:${ACCOUNT}:autoScalingGroup:0b6c-4d3e:autoScalingGroupName/${name}`;
    const terminate = (name: string) =>
      request({ action: 'autoscaling:TerminateInstanceInAutoScalingGroup', resource: group(name) });
    expect(evaluate(statements, terminate('gw')).allowed).toBe(true);
    expect(evaluate(statements, terminate('gw-other')).allowed).toBe(false);
  });

  it('allows every resource but the listed ones with NotResource', () => {
    const statements = policy({ Effect: 'Allow', Action: '*', NotResource: instanceArn('i-protected') });
    expect(evaluate(statements, request()).allowed).toBe(true);
    expect(evaluate(statements, request({ resource: instanceArn('i-protected') })).allowed).toBe(false);
  });

  it('grants an action that takes no resource types only through Resource "*"', () => {
    const scoped = policy({ Effect: 'Allow', Action: 'ec2:DescribeInstances', Resource: instanceArn('*') });
    const wildcard = policy({ Effect: 'Allow', Action: 'ec2:DescribeInstances', Resource: '*' });
    const describe = request({ action: 'ec2:DescribeInstances', resource: '*' });
    expect(evaluate(scoped, describe).allowed).toBe(false);
    expect(evaluate(wildcard, describe).allowed).toBe(true);
  });
});

describe('deny', () => {
  it('lets an explicit Deny win over any Allow, naming the denying statement', () => {
    const statements = policy(
      { Effect: 'Allow', Action: 'ec2:*', Resource: '*' },
      {
        Sid: 'NoProtected',
        Effect: 'Deny',
        Action: 'ec2:ModifyInstanceAttribute',
        Resource: instanceArn('i-1'),
      },
    );
    const decision = evaluate(statements, request());
    expect(decision).toMatchObject({
      allowed: false,
      reason: 'explicit-deny',
      by: { statement: { Sid: 'NoProtected' } },
    });
    expect(evaluate(statements, request({ resource: instanceArn('i-2') })).allowed).toBe(true);
  });

  it('denies implicitly when nothing allows', () => {
    expect(evaluate([], request())).toEqual({ allowed: false, reason: 'implicit-deny' });
  });
});

describe('conditions', () => {
  const tagged = (values: string[]) =>
    policy({
      Effect: 'Allow',
      Action: 'ec2:ModifyInstanceAttribute',
      Resource: '*',
      Condition: { StringEquals: { 'aws:ResourceTag/aws:autoscaling:groupName': values } },
    });
  const withTag = (group: string) =>
    request({ context: { 'aws:ResourceTag/aws:autoscaling:groupName': group } });

  it('StringEquals: any listed value matches, an absent key does not', () => {
    expect(evaluate(tagged(['gw-a', 'gw-b']), withTag('gw-b')).allowed).toBe(true);
    expect(evaluate(tagged(['gw-a', 'gw-b']), withTag('gw-c')).allowed).toBe(false);
    expect(evaluate(tagged(['gw-a']), request()).allowed).toBe(false);
  });

  it('matches condition key names case-insensitively', () => {
    expect(
      evaluate(
        tagged(['gw-a']),
        request({ context: { 'AWS:resourcetag/aws:autoscaling:groupName': 'gw-a' } }),
      ).allowed,
    ).toBe(true);
  });

  it('StringNotEquals holds for an absent key; StringEqualsIfExists holds when the key is absent', () => {
    const not = policy({
      Effect: 'Allow',
      Action: '*',
      Resource: '*',
      Condition: { StringNotEquals: { 'aws:RequestedRegion': 'eu-west-1' } },
    });
    expect(evaluate(not, request()).allowed).toBe(true);
    expect(evaluate(not, request({ context: { 'aws:RequestedRegion': 'eu-west-1' } })).allowed).toBe(false);
    const ifExists = policy({
      Effect: 'Allow',
      Action: '*',
      Resource: '*',
      Condition: { StringEqualsIfExists: { 'cloudwatch:namespace': 'VpnGuard' } },
    });
    expect(evaluate(ifExists, request()).allowed).toBe(true);
    expect(evaluate(ifExists, request({ context: { 'cloudwatch:namespace': 'Other' } })).allowed).toBe(false);
  });

  it('StringLike and ArnLike use wildcards; ArnEquals compares ARNs', () => {
    const like = policy({
      Effect: 'Allow',
      Action: '*',
      Resource: '*',
      Condition: { StringLike: { 'cloudwatch:namespace': 'Vpn*' } },
    });
    expect(evaluate(like, request({ context: { 'cloudwatch:namespace': 'VpnGuard' } })).allowed).toBe(true);
    const arn = policy({
      Effect: 'Allow',
      Action: '*',
      Resource: '*',
      Condition: { ArnLike: { 'ec2:Vpc': `arn:aws:ec2:*:${ACCOUNT}:vpc/vpc-1*` } },
    });
    expect(
      evaluate(arn, request({ context: { 'ec2:Vpc': `arn:aws:ec2:us-east-1:${ACCOUNT}:vpc/vpc-12` } }))
        .allowed,
    ).toBe(true);
    expect(
      evaluate(arn, request({ context: { 'ec2:Vpc': `arn:aws:ec2:us-east-1:${ACCOUNT}:vpc/vpc-2` } }))
        .allowed,
    ).toBe(false);
  });

  it('Null tests presence; Bool compares true/false', () => {
    const mustHaveTag = policy({
      Effect: 'Allow',
      Action: '*',
      Resource: '*',
      Condition: { Null: { 'aws:ResourceTag/team': 'false' } },
    });
    expect(evaluate(mustHaveTag, request()).allowed).toBe(false);
    expect(evaluate(mustHaveTag, request({ context: { 'aws:ResourceTag/team': 'net' } })).allowed).toBe(true);
    const tls = policy({
      Effect: 'Allow',
      Action: '*',
      Resource: '*',
      Condition: { Bool: { 'aws:SecureTransport': true } },
    });
    expect(evaluate(tls, request({ context: { 'aws:SecureTransport': 'true' } })).allowed).toBe(true);
    expect(evaluate(tls, request({ context: { 'aws:SecureTransport': 'false' } })).allowed).toBe(false);
  });

  it('ForAnyValue needs one context value to match, ForAllValues every one (and holds for an absent key)', () => {
    const any = policy({
      Effect: 'Allow',
      Action: '*',
      Resource: '*',
      Condition: { 'ForAnyValue:StringEquals': { 'aws:TagKeys': ['a', 'b'] } },
    });
    const all = policy({
      Effect: 'Allow',
      Action: '*',
      Resource: '*',
      Condition: { 'ForAllValues:StringEquals': { 'aws:TagKeys': ['a', 'b'] } },
    });
    const keys = (values: string[]) => request({ context: { 'aws:TagKeys': values } });
    expect(evaluate(any, keys(['b', 'z'])).allowed).toBe(true);
    expect(evaluate(any, keys(['z'])).allowed).toBe(false);
    expect(evaluate(any, request()).allowed).toBe(false);
    expect(evaluate(all, keys(['a', 'b'])).allowed).toBe(true);
    expect(evaluate(all, keys(['a', 'z'])).allowed).toBe(false);
    expect(evaluate(all, request()).allowed).toBe(true);
  });

  it('needs every operator and every key of a Condition block to hold', () => {
    const both = policy({
      Effect: 'Allow',
      Action: '*',
      Resource: '*',
      Condition: {
        StringEquals: { 'aws:RequestedRegion': 'us-west-2', 'ec2:Region': 'us-west-2' },
        Bool: { 'aws:SecureTransport': 'true' },
      },
    });
    const context = {
      'aws:RequestedRegion': 'us-west-2',
      'ec2:Region': 'us-west-2',
      'aws:SecureTransport': 'true',
    };
    expect(evaluate(both, request({ context })).allowed).toBe(true);
    expect(evaluate(both, request({ context: { ...context, 'ec2:Region': 'us-east-1' } })).allowed).toBe(
      false,
    );
  });

  it('refuses an operator it does not model instead of guessing', () => {
    const odd = policy({
      Effect: 'Allow',
      Action: '*',
      Resource: '*',
      Condition: { DateGreaterThan: { 'aws:CurrentTime': '2026-01-01' } },
    });
    expect(() => evaluate(odd, request())).toThrow(UnsupportedPolicyError);
  });
});

describe('CloudFormation intrinsics', () => {
  const resolver = {
    ref: (name: string) =>
      ({
        'AWS::Partition': 'aws',
        'AWS::Region': 'us-east-1',
        'AWS::AccountId': ACCOUNT,
        Topic: 'arn:aws:sns:us-east-1:1:t',
      })[name] ?? `ref:${name}`,
    getAtt: (id: string, attribute: string) => `${id}.${attribute}`,
  };

  it('resolves Ref, Fn::GetAtt, Fn::Join, Fn::Sub, Fn::Select and Fn::Split', () => {
    const value = {
      Resource: [
        {
          'Fn::Join': [
            '',
            [
              'arn:',
              { Ref: 'AWS::Partition' },
              ':ec2:',
              { Ref: 'AWS::Region' },
              ':',
              { Ref: 'AWS::AccountId' },
              ':instance/*',
            ],
          ],
        },
        { 'Fn::GetAtt': ['Table', 'Arn'] },
        {
          // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation's Fn::Sub syntax
          'Fn::Sub': 'arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:${Group.Name}:*',
        },
        // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation's Fn::Sub syntax
        { 'Fn::Sub': ['${Prefix}-x', { Prefix: { Ref: 'Topic' } }] },
        { 'Fn::Select': [1, { 'Fn::Split': ['/', 'a/b/c'] }] },
      ],
    };
    expect(resolveIntrinsics(value, resolver)).toEqual({
      Resource: [
        `arn:aws:ec2:us-east-1:${ACCOUNT}:instance/*`,
        'Table.Arn',
        `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:Group.Name:*`,
        'arn:aws:sns:us-east-1:1:t-x',
        'b',
      ],
    });
  });

  it('refuses an intrinsic it does not resolve', () => {
    expect(() => resolveIntrinsics({ 'Fn::ImportValue': 'Other-Export' }, resolver)).toThrow(
      UnresolvableIntrinsicError,
    );
  });
});
