import BackendInfo from './backend-info';

export default function Home() {
  return (
    <main>
      <h1>Shipyard demo</h1>
      <p>
        Environment: <code>{process.env.NEXT_PUBLIC_ENVIRONMENT || 'unknown'}</code>
      </p>
      <BackendInfo />
    </main>
  );
}
