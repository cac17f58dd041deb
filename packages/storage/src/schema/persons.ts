export const personsTable = 'persons';
export type PersonRow = {
  id: string;
  national_id: string;
  country: string;
  name: string | null;
  status: string;
  email: string | null;
  email_updated_at: string | null;
  email_verified_at: string | null;
  mobile: string | null;
  mobile_updated_at: string | null;
  mobile_verified_at: string | null;
  language: string | null;
  reserved: number;
  reserved_at: string | null;
  exempt: number;
  exempt_at: string | null;
  /** JSON. */
  postal_address: string | null;
  created_at: string;
  updated_at: string | null;
};
