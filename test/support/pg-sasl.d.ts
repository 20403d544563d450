/** node-postgres' SCRAM client (plain JavaScript, no published types): the parts the tests use. */
declare module 'pg/lib/crypto/sasl.js' {
  interface ScramSession {
    mechanism: string;
    clientNonce: string;
    response: string;
    message: string;
  }
  const sasl: {
    startSession(mechanisms: string[], stream?: unknown): ScramSession;
    continueSession(session: ScramSession, password: string, serverData: string, stream?: unknown): Promise<void>;
    finalizeSession(session: ScramSession, serverData: string): void;
  };
  export default sasl;
}
