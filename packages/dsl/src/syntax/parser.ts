/**
 * The grammar of the `.model` language as a pure chevrotain `CstParser`: no embedded actions, so
 * the grammar reads like the language sketch and all meaning lives in `to-ast.ts`.
 *
 * Error recovery is on: the parser records an error, repairs the input (inserting or deleting a
 * single token, or skipping ahead to a token that can follow the broken rule) and carries on, so
 * one run reports several mistakes and still yields a (partial) tree.
 *
 * Statements need no separator: each starts with a keyword (or, in `train { }`, a setting name),
 * and no statement starts with an operator or a bracket, so an expression simply ends where the
 * next token cannot continue it. `;` is accepted between statements.
 *
 * Expression precedence, loosest first:
 *   expression     comparisons  == != < <= > >=   (left-assoc in the grammar; chains are reported)
 *   additive       + -
 *   multiplicative * / @
 *   unary          - +                            (prefix)
 *   power          ^                              (right-assoc; the exponent is a unary, so
 *                                                  `-x^2` is -(x^2) and `2^-1` works)
 *   postfix        indexing  x[0], x[:, 1], x[0:10, :]
 *   atom           name, call f(a, k = v), number, string, ( expr ), tensor literal [1, 2]
 */
import { CstParser, type TokenType, tokenMatcher } from 'chevrotain';
import { ParserMessages } from './messages.js';
import {
  AddOp,
  allTokens,
  Colon,
  Comma,
  CompareOp,
  Dim,
  Equals,
  Fn,
  Frozen,
  Hyper,
  Identifier,
  In,
  Init,
  Input,
  Keyword,
  LBracket,
  LCurly,
  Let,
  Loss,
  LParen,
  Metric,
  Model,
  MulOp,
  NumberLiteral,
  Output,
  Param,
  PowOp,
  RBracket,
  RCurly,
  Return,
  RParen,
  Semicolon,
  StringLiteral,
  Train,
} from './tokens.js';

/** One provider for the one parser instance; `parse()` resets it before each run. */
export const parserMessages = new ParserMessages();

export class GradusParser extends CstParser {
  constructor() {
    super(allTokens, {
      recoveryEnabled: true,
      nodeLocationTracking: 'onlyOffset',
      errorMessageProvider: parserMessages,
      // Two tokens are needed to tell a named argument (`keep = 0.8`) from an expression.
      maxLookahead: 2,
    });
    this.performSelfAnalysis();
  }

  // -------------------------------------------------------------------------------------------
  // Top level
  // -------------------------------------------------------------------------------------------

  program = this.RULE('program', () => {
    this.MANY(() => {
      this.OR([
        { ALT: () => this.SUBRULE(this.fnDecl) },
        { ALT: () => this.SUBRULE(this.modelDecl) },
        { ALT: () => this.CONSUME(Semicolon) },
      ]);
    });
  });

  /** `fn name(a, b, keep = 0.9) = expr` or `fn name(a) { let t = expr ... return expr }`. */
  fnDecl = this.RULE('fnDecl', () => {
    this.CONSUME(Fn);
    this.CONSUME(Identifier, { LABEL: 'name' });
    this.CONSUME(LParen);
    this.OPTION(() => {
      this.SUBRULE(this.fnParam, { LABEL: 'params' });
      this.MANY(() => {
        this.CONSUME(Comma);
        this.SUBRULE1(this.fnParam, { LABEL: 'params' });
      });
    });
    this.CONSUME(RParen);
    this.OR([
      {
        ALT: () => {
          this.CONSUME(Equals);
          this.SUBRULE(this.expression, { LABEL: 'body' });
        },
      },
      { ALT: () => this.SUBRULE(this.fnBody) },
    ]);
  });

  /** A parameter, with its default when it has one: `keep = 0.9`. */
  fnParam = this.RULE('fnParam', () => {
    this.CONSUME(Identifier, { LABEL: 'name' });
    this.OPTION(() => {
      this.CONSUME(Equals);
      this.SUBRULE(this.expression, { LABEL: 'default' });
    });
  });

  fnBody = this.RULE('fnBody', () => {
    this.CONSUME(LCurly);
    this.MANY(() => {
      this.OR([{ ALT: () => this.SUBRULE(this.letStmt) }, { ALT: () => this.CONSUME(Semicolon) }]);
    });
    this.CONSUME(Return);
    this.SUBRULE(this.expression, { LABEL: 'result' });
    this.MANY1(() => this.CONSUME1(Semicolon));
    this.CONSUME(RCurly);
  });

  /** `model Name { statements }`. */
  modelDecl = this.RULE('modelDecl', () => {
    this.CONSUME(Model);
    this.CONSUME(Identifier, { LABEL: 'name' });
    this.CONSUME(LCurly);
    this.MANY(() => {
      this.OR([
        { ALT: () => this.SUBRULE(this.dimStmt) },
        { ALT: () => this.SUBRULE(this.hyperStmt) },
        { ALT: () => this.SUBRULE(this.inputStmt) },
        { ALT: () => this.SUBRULE(this.paramStmt) },
        { ALT: () => this.SUBRULE(this.letStmt) },
        { ALT: () => this.SUBRULE(this.outputStmt) },
        { ALT: () => this.SUBRULE(this.metricStmt) },
        { ALT: () => this.SUBRULE(this.lossStmt) },
        { ALT: () => this.SUBRULE(this.trainBlock) },
        { ALT: () => this.CONSUME(Semicolon) },
      ]);
    });
    this.CONSUME(RCurly);
  });

  // -------------------------------------------------------------------------------------------
  // Statements
  // -------------------------------------------------------------------------------------------

  /** `dim N` or `dim N, D = 2, H = 100`. */
  dimStmt = this.RULE('dimStmt', () => {
    this.CONSUME(Dim);
    this.SUBRULE(this.dimItem);
    this.MANY(() => {
      this.CONSUME(Comma);
      this.SUBRULE1(this.dimItem);
    });
  });

  dimItem = this.RULE('dimItem', () => {
    this.CONSUME(Identifier, { LABEL: 'name' });
    this.OPTION(() => {
      this.CONSUME(Equals);
      this.CONSUME(NumberLiteral, { LABEL: 'value' });
    });
  });

  /** `hyper lambda = 1e-3`, `hyper H: int = 256`, `hyper keep = 0.9 in (0, 1]`, `... in [1e-5, 1] log`. */
  hyperStmt = this.RULE('hyperStmt', () => {
    this.CONSUME(Hyper);
    this.CONSUME(Identifier, { LABEL: 'name' });
    this.OPTION(() => {
      this.CONSUME(Colon);
      this.CONSUME1(Identifier, { LABEL: 'type' });
    });
    this.CONSUME(Equals);
    this.SUBRULE(this.expression, { LABEL: 'value' });
    this.OPTION1(() => this.SUBRULE(this.hyperRange));
  });

  /** `in [lo, hi]`, with `(` or `)` for an open end, and an optional scale (`log`). */
  hyperRange = this.RULE('hyperRange', () => {
    this.CONSUME(In);
    this.OR([
      { ALT: () => this.CONSUME(LBracket, { LABEL: 'open' }) },
      { ALT: () => this.CONSUME(LParen, { LABEL: 'open' }) },
    ]);
    this.SUBRULE(this.expression, { LABEL: 'lo' });
    this.CONSUME(Comma);
    this.SUBRULE1(this.expression, { LABEL: 'hi' });
    this.OR1([
      { ALT: () => this.CONSUME(RBracket, { LABEL: 'close' }) },
      { ALT: () => this.CONSUME(RParen, { LABEL: 'close' }) },
    ]);
    this.OPTION(() => this.CONSUME2(Identifier, { LABEL: 'scale' }));
  });

  /** `input x: float[N, D]`. */
  inputStmt = this.RULE('inputStmt', () => {
    this.CONSUME(Input);
    this.CONSUME(Identifier, { LABEL: 'name' });
    this.CONSUME(Colon);
    this.SUBRULE(this.typeSpec);
  });

  /**
   * `param W: [D, H] init glorot_uniform frozen`; the initialiser is any expression, and `frozen`
   * (last) keeps the param out of training.
   */
  paramStmt = this.RULE('paramStmt', () => {
    this.CONSUME(Param);
    this.CONSUME(Identifier, { LABEL: 'name' });
    this.CONSUME(Colon);
    this.SUBRULE(this.typeSpec);
    this.OPTION(() => {
      this.CONSUME(Init);
      this.SUBRULE(this.expression, { LABEL: 'init' });
    });
    this.OPTION1(() => this.CONSUME(Frozen));
  });

  /** `float[N, D]`, `int[N]`, `float` (a scalar), or a bare shape `[D, H]`. */
  typeSpec = this.RULE('typeSpec', () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(Identifier, { LABEL: 'dtype' });
          this.OPTION(() => this.SUBRULE(this.shape));
        },
      },
      { ALT: () => this.SUBRULE1(this.shape) },
    ]);
  });

  shape = this.RULE('shape', () => {
    this.CONSUME(LBracket);
    this.OPTION(() => {
      this.SUBRULE(this.shapeDim);
      this.MANY(() => {
        this.CONSUME(Comma);
        this.SUBRULE1(this.shapeDim);
      });
    });
    this.CONSUME(RBracket);
  });

  /** A dim: a name, a whole number, or arithmetic on them (`N * T`, `D + 1`, `H / 2`). */
  shapeDim = this.RULE('shapeDim', () => {
    this.SUBRULE(this.additive, { LABEL: 'value' });
  });

  letStmt = this.RULE('letStmt', () => {
    this.CONSUME(Let);
    this.CONSUME(Identifier, { LABEL: 'name' });
    this.CONSUME(Equals);
    this.SUBRULE(this.expression, { LABEL: 'value' });
  });

  outputStmt = this.RULE('outputStmt', () => {
    this.CONSUME(Output);
    this.CONSUME(Identifier, { LABEL: 'name' });
    this.CONSUME(Equals);
    this.SUBRULE(this.expression, { LABEL: 'value' });
  });

  metricStmt = this.RULE('metricStmt', () => {
    this.CONSUME(Metric);
    this.CONSUME(Identifier, { LABEL: 'name' });
    this.CONSUME(Equals);
    this.SUBRULE(this.expression, { LABEL: 'value' });
  });

  lossStmt = this.RULE('lossStmt', () => {
    this.CONSUME(Loss);
    this.CONSUME(Equals);
    this.SUBRULE(this.expression, { LABEL: 'value' });
  });

  /** `train { key = value ... }`. */
  trainBlock = this.RULE('trainBlock', () => {
    this.CONSUME(Train);
    this.CONSUME(LCurly);
    this.MANY(() => {
      this.OR([{ ALT: () => this.SUBRULE(this.trainSetting) }, { ALT: () => this.CONSUME(Semicolon) }]);
    });
    this.CONSUME(RCurly);
  });

  trainSetting = this.RULE('trainSetting', () => {
    this.CONSUME(Identifier, { LABEL: 'key' });
    this.CONSUME(Equals);
    this.SUBRULE(this.expression, { LABEL: 'value' });
  });

  // -------------------------------------------------------------------------------------------
  // Expressions
  // -------------------------------------------------------------------------------------------

  expression = this.RULE('expression', () => {
    this.SUBRULE(this.additive, { LABEL: 'operands' });
    this.MANY(() => {
      this.CONSUME(CompareOp);
      this.SUBRULE1(this.additive, { LABEL: 'operands' });
    });
  });

  additive = this.RULE('additive', () => {
    this.SUBRULE(this.multiplicative, { LABEL: 'operands' });
    this.MANY(() => {
      this.CONSUME(AddOp);
      this.SUBRULE1(this.multiplicative, { LABEL: 'operands' });
    });
  });

  multiplicative = this.RULE('multiplicative', () => {
    this.SUBRULE(this.unary, { LABEL: 'operands' });
    this.MANY(() => {
      this.CONSUME(MulOp);
      this.SUBRULE1(this.unary, { LABEL: 'operands' });
    });
  });

  unary = this.RULE('unary', () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(AddOp, { LABEL: 'sign' });
          this.SUBRULE(this.unary, { LABEL: 'operand' });
        },
      },
      { ALT: () => this.SUBRULE(this.power) },
    ]);
  });

  power = this.RULE('power', () => {
    this.SUBRULE(this.postfix, { LABEL: 'base' });
    this.OPTION(() => {
      this.CONSUME(PowOp);
      this.SUBRULE(this.unary, { LABEL: 'exponent' });
    });
  });

  postfix = this.RULE('postfix', () => {
    this.SUBRULE(this.atom);
    this.MANY(() => this.SUBRULE(this.index));
  });

  atom = this.RULE('atom', () => {
    this.OR([
      {
        // `name =` never starts an expression (`=` is not an operator): it is the next setting or
        // named argument. Refusing it here turns `optimizer =⏎ steps = 100` into "expected an
        // expression" after the first `=`, instead of reading `optimizer = steps` and tripping later.
        GATE: () => !tokenMatcher(this.LA(2), Equals),
        ALT: () => {
          this.CONSUME(Identifier, { LABEL: 'name' });
          this.OPTION(() => this.SUBRULE(this.callArgs));
        },
      },
      { ALT: () => this.CONSUME(NumberLiteral) },
      { ALT: () => this.CONSUME(StringLiteral) },
      {
        ALT: () => {
          this.CONSUME(LParen);
          this.SUBRULE(this.expression, { LABEL: 'inner' });
          this.CONSUME(RParen);
        },
      },
      { ALT: () => this.SUBRULE(this.tensor) },
    ]);
  });

  /** `(a, b, keep = 0.8)`: positional and named arguments. */
  callArgs = this.RULE('callArgs', () => {
    this.CONSUME(LParen);
    this.OPTION(() => {
      this.SUBRULE(this.argument);
      this.MANY(() => {
        this.CONSUME(Comma);
        this.SUBRULE1(this.argument);
      });
    });
    this.CONSUME(RParen);
  });

  argument = this.RULE('argument', () => {
    this.OR([
      {
        // A keyword may name an argument: `f(init = 1)` cannot be read any other way.
        ALT: () => {
          this.OR1([
            { ALT: () => this.CONSUME(Identifier, { LABEL: 'name' }) },
            { ALT: () => this.CONSUME(Keyword, { LABEL: 'name' }) },
          ]);
          this.CONSUME(Equals);
          this.SUBRULE(this.expression, { LABEL: 'value' });
        },
      },
      { ALT: () => this.SUBRULE1(this.expression, { LABEL: 'value' }) },
    ]);
  });

  /** `[i, j:k, :]` after an expression. */
  index = this.RULE('index', () => {
    this.CONSUME(LBracket);
    this.SUBRULE(this.indexItem);
    this.MANY(() => {
      this.CONSUME(Comma);
      this.SUBRULE1(this.indexItem);
    });
    this.CONSUME(RBracket);
  });

  /** `i`, `:`, `i:`, `:j`, `i:j`. */
  indexItem = this.RULE('indexItem', () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(Colon);
          this.OPTION(() => this.SUBRULE(this.expression, { LABEL: 'end' }));
        },
      },
      {
        ALT: () => {
          this.SUBRULE1(this.expression, { LABEL: 'start' });
          this.OPTION1(() => {
            this.CONSUME1(Colon);
            this.OPTION2(() => this.SUBRULE2(this.expression, { LABEL: 'end' }));
          });
        },
      },
    ]);
  });

  /** `[1, 2]`, `[[1, 2], [3, 4]]`, `[]`. */
  tensor = this.RULE('tensor', () => {
    this.CONSUME(LBracket);
    this.OPTION(() => {
      this.SUBRULE(this.expression, { LABEL: 'elements' });
      this.MANY(() => {
        this.CONSUME(Comma);
        this.SUBRULE1(this.expression, { LABEL: 'elements' });
      });
    });
    this.CONSUME(RBracket);
  });

  /**
   * Only punctuation is invented during single-token-insertion recovery: an inserted name or
   * number would carry no text and could only confuse the AST builder.
   */
  protected override canTokenTypeBeInsertedInRecovery(type: TokenType): boolean {
    return INSERTABLE.has(type);
  }
}

const INSERTABLE: ReadonlySet<TokenType> = new Set([
  Equals,
  Colon,
  Comma,
  RParen,
  RBracket,
  RCurly,
  LCurly,
  LParen,
]);

/** The single parser instance (self-analysis is expensive; `input` resets it for each parse). */
export const parser = new GradusParser();
