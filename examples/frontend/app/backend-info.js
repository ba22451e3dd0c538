'use client';

// Asks the backend which build it serves, from the browser: this call is
// what the backend's CORS settings must allow for the frontend's origin.
import { useEffect, useState } from 'react';

const API_URL = (process.env.NEXT_PUBLIC_API_URL || '').replace(/\/+$/, '');

export default function BackendInfo() {
  const [info, setInfo] = useState(null);
  const [problem, setProblem] = useState(null);

  useEffect(() => {
    fetch(`${API_URL}/api/info/`)
      .then((answer) => {
        if (!answer.ok) throw new Error(`HTTP ${answer.status}`);
        return answer.json();
      })
      .then(setInfo)
      .catch((error) => setProblem(String(error)));
  }, []);

  if (problem) return <p id="backend-error">Backend unreachable: {problem}</p>;
  if (!info) return <p id="backend-loading">Asking the backend at {API_URL}…</p>;
  return (
    <dl id="backend-info">
      <dt>Backend</dt>
      <dd>{API_URL}</dd>
      <dt>App</dt>
      <dd>{info.app}</dd>
      <dt>Version</dt>
      <dd>{info.version}</dd>
      <dt>Commit</dt>
      <dd>{info.git_sha || 'unknown'}</dd>
    </dl>
  );
}
